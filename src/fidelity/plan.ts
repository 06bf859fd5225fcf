// The skynet driver's plan (native/skynet/simload_driver.lua) from a simload scenario: each phase as an online
// target moving linearly from where the last phase left it, with its message rate; written as a Lua file the
// driver loads. Fractions of the peak are resolved the way simload's driver does (driver/engine.ts).
import { UsageError } from '../errors.js';
import type { Scenario } from '../scenario/types.js';

/**
 * How the skynet side gets its load. `driver`: a Lua service inside skynet sends each message with skynet.send
 * (simload_driver.lua). `gate`: clients in another process connect over TCP to a gate built on skynet's
 * gateserver, which forwards their packets to the agents, as in a game server (docs/fidelity.md).
 */
export type SkynetTransport = 'driver' | 'gate';
export const SKYNET_TRANSPORTS: readonly SkynetTransport[] = ['driver', 'gate'];

export interface PlanPhase {
  kind: 'ramp' | 'hold';
  from: number;
  to: number;
  duration_ms: number;
  /** Messages per online player per second. */
  rate: number;
}

export interface SkynetPlan {
  variant: string;
  /** The run folder's samples.ndjson and events.ndjson, appended to. */
  samples: string;
  events: string;
  /** The agent script, absolute. */
  script: string;
  /** How the load reaches the agents. */
  transport: SkynetTransport;
  /** The gate's connection limit (gateserver's maxclient): above the plan's peak. */
  max_clients: number;
  interval_ms: number;
  baseline_ms: number;
  /** A player's first message waits this long after its login (the scenario's think_time). */
  think_time_ms: number;
  seed: number;
  phases: PlanPhase[];
}

export interface PlanPaths {
  variant: string;
  samples: string;
  events: string;
  script: string;
  transport: SkynetTransport;
}

export function skynetPlan(s: Scenario, o: PlanPaths): SkynetPlan {
  const phases: PlanPhase[] = [];
  let target = 0;
  let peak = 0;
  s.load.phases.forEach((p, i) => {
    const rate = p.rate ?? s.load.messageRate;
    if (p.kind === 'pressure') {
      throw new UsageError(
        'ERR_FIDELITY_PHASE',
        `${s.file ?? s.name}: load.phases[${i}]: a pressure phase cannot run in the skynet driver (only ramp and hold)`,
      );
    }
    const from = target;
    if (p.kind === 'ramp') target = 'count' in p.to ? p.to.count : Math.round(p.to.fractionOfPeak * peak);
    phases.push({ kind: p.kind, from, to: target, duration_ms: p.durationMs, rate });
    if (p.kind === 'ramp' && 'count' in p.to) peak = Math.max(peak, p.to.count);
    peak = Math.max(peak, target);
  });
  return {
    ...o,
    // gateserver refuses the connection that reaches maxclient; room for connections closing while others open
    max_clients: 2 * peak + 64,
    interval_ms: s.record.intervalMs,
    baseline_ms: s.record.baselineMs ?? Math.max(2000, 3 * s.record.intervalMs),
    think_time_ms: s.load.thinkTimeMs,
    seed: s.server.seed,
    phases,
  };
}

/** A Lua string literal: every byte outside printable ASCII, and quotes and backslashes, as \ddd. */
function luaString(v: string): string {
  let out = '"';
  for (const b of Buffer.from(v, 'utf8'))
    out +=
      b >= 0x20 && b < 0x7f && b !== 0x22 && b !== 0x5c ? String.fromCharCode(b) : `\\${String(b).padStart(3, '0')}`;
  return out + '"';
}

function luaValue(v: unknown): string {
  if (typeof v === 'string') return luaString(v);
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) throw new Error(`not a finite number: ${v}`);
    return String(v);
  }
  if (Array.isArray(v)) return `{ ${v.map(luaValue).join(', ')} }`;
  if (v && typeof v === 'object')
    return `{ ${Object.entries(v)
      .map(([k, x]) => `${k} = ${luaValue(x)}`)
      .join(', ')} }`;
  throw new Error(`cannot write ${typeof v} into a Lua plan`);
}

/** The plan as a Lua chunk (`return { ... }`). */
export function planLua(p: SkynetPlan): string {
  return `-- simload skynet driver plan (src/fidelity/plan.ts)\nreturn ${luaValue(p)}\n`;
}
