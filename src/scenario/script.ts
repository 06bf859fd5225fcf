// `server.script` (a Lua agent script, relative to the scenario file) and `server.script_limits`: read the
// file and check it (load, login, messages, logout in a sandboxed VM), so a bad script is reported with its
// own file:line before anything starts.

import { existsSync, statSync } from 'node:fs';
import { isAbsolute, join, relative, resolve } from 'node:path';
import { peerSources, PEER_RECIPES } from '../native/peers.js';
import { skynetAgentLib } from '../native/agent-build.js';
import { findSkynetBuild } from '../native/skynet-build.js';
import type { AgentScript } from '../server/options.js';
import { readInputFile } from '../input-file.js';
import { checkScript } from '../server/script-check.js';
import { MAX_SCRIPT_INSTRUCTIONS } from '../server/validate.js';
import { parseSize } from '../units.js';
import type { PathPart } from './problems.js';
import { scenarioPath } from './source-path.js';

type Obj = Record<string, unknown>;

export const SCRIPT_DEFAULTS = { maxInstructions: 10_000_000, maxMemoryBytes: 64 * 2 ** 20 } as const;

/** An agent script's source at most (rpg.lua is 5 KiB); more is not a script but a mistake, refused unread. */
export const MAX_SCRIPT_BYTES = 16 * 2 ** 20;

/** The script as errors name it: relative to the working directory when inside it, else absolute. */
function displayPath(abs: string): string {
  const rel = relative(process.cwd(), abs);
  return rel && !rel.startsWith('..') && !isAbsolute(rel) ? rel : abs;
}

export function resolveScript(
  s: Obj,
  baseDir: string,
  agent: 'per-player' | 'pool',
  problem: (path: PathPart[], message: string) => void,
): AgentScript | null {
  const limits = s.script_limits !== null && typeof s.script_limits === 'object' ? (s.script_limits as Obj) : {};
  if (typeof s.script !== 'string') {
    if (s.script_limits !== undefined) problem(['server', 'script_limits'], 'only applies with `script:` (Lua agents)');
    if (s.service_lib !== undefined) problem(['server', 'service_lib'], 'only applies with `script:` (Lua agents)');
    if (s.lua !== undefined) problem(['server', 'lua'], 'only applies with `script:` (Lua agents)');
    return null;
  }
  const abs = resolve(baseDir, s.script);
  const read = readInputFile(abs, MAX_SCRIPT_BYTES);
  if ('problem' in read) {
    problem(['server', 'script'], `cannot read the agent script ${abs}: ${read.problem}`);
    return null;
  }
  const source = read.text;
  const lib =
    s.service_lib === undefined
      ? undefined
      : s.service_lib === 'auto'
        ? knownServiceLib()
        : serviceLib(s.service_lib, baseDir, (m) => problem(['server', 'service_lib'], m));
  if (lib === null) return null;
  const lua =
    s.lua === 'skynet'
      ? skynetLua((m) => problem(['server', 'lua'], m))
      : s.lua === 'auto'
        ? knownSkynetLua()
        : undefined;
  if (lua === null) return null;
  const mem = typeof limits.memory === 'number' || typeof limits.memory === 'string' ? parseSize(limits.memory) : null;
  const script: AgentScript = {
    path: displayPath(abs),
    source,
    maxInstructions: typeof limits.instructions === 'number' ? limits.instructions : SCRIPT_DEFAULTS.maxInstructions,
    maxMemoryBytes: mem ?? SCRIPT_DEFAULTS.maxMemoryBytes,
    ...(lib ? { serviceLib: lib } : {}),
    ...(lua ? { luaLib: lua.lib, luaName: lua.name } : {}),
  };
  if (!Number.isSafeInteger(script.maxInstructions) || script.maxInstructions > MAX_SCRIPT_INSTRUCTIONS) {
    problem(
      ['server', 'script_limits', 'instructions'],
      `must be at most ${MAX_SCRIPT_INSTRUCTIONS} (what the server accepts), got ${script.maxInstructions}`,
    );
    return null;
  }
  if (script.maxMemoryBytes < 1024 * 1024) {
    problem(
      ['server', 'script_limits', 'memory'],
      `must be at least 1MiB (an empty VM needs about 15KiB, a player's state more), got ${script.maxMemoryBytes} bytes`,
    );
    return null;
  }
  try {
    checkScript(script, agent);
  } catch (err) {
    problem(['server', 'script'], (err as Error).message);
    return null;
  }
  return script;
}

/** The skynet peer build that `skynet` names (service_lib, lua): the first recipe built, or null. */
function skynetPeer(env: NodeJS.ProcessEnv): string | null {
  const src = peerSources(env);
  const build = src
    ? PEER_RECIPES.map((recipe) => findSkynetBuild({ skynetSrc: src.skynet, jemallocSrc: src.jemalloc, recipe })).find(
        (b) => b,
      )
    : null;
  return build ? build.root : null;
}

/**
 * `server.lua: skynet`: the agent library compiled with the skynet peer build's own Lua (its 3rd/lua), built by
 * `npm run build:peers` beside that build. Null after a problem (no peer build, or a library older than agent.c).
 */
export function skynetLua(
  problem: (message: string) => void,
  env: NodeJS.ProcessEnv = process.env,
): { lib: string; name: string } | null {
  const root = skynetPeer(env);
  if (!root) {
    problem(
      '`skynet` names the Lua of the skynet peer build, and there is none: run `npm run build:peers` (needs SKYNET_SRC or ../shared/vendor)',
    );
    return null;
  }
  const { lib, current } = skynetAgentLib(root);
  if (!current) {
    problem(
      `the agent library with skynet's Lua (${lib}) is ${existsSync(lib) ? 'older than native/agent.c' : 'not built'}: run \`npm run build:peers\``,
    );
    return null;
  }
  return { lib, name: `skynet's Lua (${join(root, '3rd', 'lua')})` };
}

/**
 * `server.service_lib: auto`: skynet's lualib when a skynet tree is known (the peer build, else SKYNET_SRC when it
 * is a tree holding lualib/skynet.lua); undefined (the bare sandbox) otherwise. Never a problem: a newcomer without
 * skynet runs the shipped scenarios as before, and the report says what that means per player.
 */
export function knownServiceLib(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const root = skynetPeer(env);
  if (root) return join(root, 'lualib');
  const src = env['SKYNET_SRC'];
  const lualib = src ? join(resolve(src), 'lualib') : null;
  return lualib && existsSync(join(lualib, 'skynet.lua')) ? lualib : undefined;
}

/** `server.lua: auto`: skynet's Lua when the peer build and its agent library are there; undefined (Debian's Lua 5.4) otherwise. */
export function knownSkynetLua(env: NodeJS.ProcessEnv = process.env): { lib: string; name: string } | undefined {
  let missing = false;
  const lua = skynetLua(() => (missing = true), env);
  return missing || !lua ? undefined : lua;
}

/**
 * `server.service_lib`: the folder holding skynet.lua (a skynet tree's lualib/), loaded in every agent VM before
 * the script. `skynet`: the lualib of the cached skynet peer build (`npm run build:peers`); `${NAME}...`: a path
 * from an environment variable (relative to the working directory); else a path relative to the scenario file.
 * Null after a problem.
 */
export function serviceLib(
  value: unknown,
  baseDir: string,
  problem: (message: string) => void,
  env: NodeJS.ProcessEnv = process.env,
): string | null {
  if (typeof value !== 'string' || value === '') {
    problem("expected a folder holding skynet.lua (a skynet tree's lualib), `${NAME}`, or `skynet`");
    return null;
  }
  let abs: string;
  if (value === 'skynet') {
    const root = skynetPeer(env);
    if (!root) {
      problem(
        "`skynet` names the lualib of the skynet peer build, and there is none: run `npm run build:peers` (needs SKYNET_SRC or ../shared/vendor), or give a path to your skynet tree's lualib",
      );
      return null;
    }
    abs = join(root, 'lualib');
  } else {
    const p = scenarioPath(value, baseDir, "a skynet tree's lualib folder", { problem, unset: problem }, env);
    if (!p) return null;
    abs = p.abs;
  }
  if (!existsSync(abs) || !statSync(abs).isDirectory()) {
    problem(`no such folder: ${abs} (expected a skynet tree's lualib, holding skynet.lua)`);
    return null;
  }
  if (!existsSync(join(abs, 'skynet.lua'))) {
    problem(`${abs} holds no skynet.lua: expected a skynet tree's lualib folder`);
    return null;
  }
  return abs;
}
