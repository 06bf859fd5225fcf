// Which server a run's memory figures describe: the agent kind, the service library the agent VMs load and the
// Lua they run, read from the resolved scenario (scenario.json). The table, the report and `simload plan` say it
// beside the per-player figures, because a bare Lua VM and a skynet agent differ by more than the tolerance
// of a capacity plan. Pure.

/** What of the resolved server options this needs (structural, so the report need not import the server's types). */
export interface ServerModelInput {
  agent?: string;
  agentModel?: string;
  script?: { path: string; serviceLib?: string; luaName?: string };
}

export interface ServerModel {
  agent: string;
  /** `lua`: a script in one Lua VM per agent; `synthetic`: drawn object sizes, no VM. */
  agents: 'lua' | 'synthetic';
  script: string | null;
  /** The service library's folder (skynet's lualib), or null: the bare sandbox. */
  serviceLib: string | null;
  /** Which Lua the VMs run. */
  lua: string;
  /** One line for people: agent kind, service library, Lua. */
  words: string;
  /** Set when per-player figures are for a bare Lua VM: by about how much a skynet agent differs. */
  bareNote: string | null;
}

/** A skynet agent with its lualib, and a bare VM, as measured (`npm run fidelity:vm`; docs/fidelity.md). KiB. */
export const SKYNET_AGENT_KIB = { low: 46, high: 50 } as const;
export const BARE_VM_KIB = 14;

const DEBIAN_LUA = "Debian's Lua 5.4";

export function serverModel(server: ServerModelInput | null | undefined): ServerModel | null {
  if (!server) return null;
  const agent = server.agent ?? 'per-player';
  const script = server.agentModel === 'lua' && server.script ? server.script : null;
  if (!script) {
    return {
      agent,
      agents: 'synthetic',
      script: null,
      serviceLib: null,
      lua: '-',
      words: `${agent} agents, synthetic state (no Lua VM)`,
      bareNote: null,
    };
  }
  const serviceLib = script.serviceLib ?? null;
  const lua = script.luaName ?? DEBIAN_LUA;
  const lib = serviceLib ? `skynet's service library (${serviceLib})` : 'no service library (a bare Lua VM)';
  const lo = SKYNET_AGENT_KIB.low - BARE_VM_KIB;
  const hi = SKYNET_AGENT_KIB.high - BARE_VM_KIB;
  return {
    agent,
    agents: 'lua',
    script: script.path,
    serviceLib,
    lua,
    words: `${agent} Lua agents running ${script.path}, ${lib}, on ${lua}`,
    bareNote: serviceLib
      ? null
      : `per-player figures are for a bare Lua VM (about ${BARE_VM_KIB} KiB before the script's state); a skynet agent with its ` +
        `service library holds about ${SKYNET_AGENT_KIB.low}-${SKYNET_AGENT_KIB.high} KiB, so a skynet running this script needs about ` +
        `${lo}-${hi} KiB more per player (no skynet tree was known: set SKYNET_SRC or run \`npm run build:peers\`, or give \`service_lib:\` a skynet lualib)`,
  };
}

/** The baseline Rss said apart from the per-player figures: the simulator's constant, not the players'. */
export function baselineNote(baselines: Array<{ variant: string; rss: string }>): string {
  const each = baselines.map((b) => `${b.variant} ${b.rss}`).join(', ');
  return `baseline Rss (${each}) is the simulator's constant before any player (Node runtime, workers, allocator): bytes/player and the plan's per-player slope leave it out`;
}
