// A scenario after validation: units resolved to numbers (ms, bytes, fractions), defaults filled in.
// The YAML shape users write is described by the JSON Schema in scenario/schema.ts.

import type { ServerOptions } from '../server/options.js';
import type { VariantOptions } from '../alloc/options.js';

export type PhaseTarget = { count: number } | { fractionOfPeak: number };

export type Phase =
  | { kind: 'ramp'; to: PhaseTarget; durationMs: number; rate?: number }
  | { kind: 'hold'; durationMs: number; rate?: number }
  /** Puts the server under a memory limit (cgroup) for the duration; see plan/. */
  | { kind: 'pressure'; limitBytes: number; durationMs: number; rate?: number };

export interface LoadOptions {
  phases: Phase[];
  /** Game messages per online player per second (open loop); a phase's `rate` overrides it. */
  messageRate: number;
  /** Pause between a bot's login and its first message, ms. */
  thinkTimeMs: number;
  /** Bot worker threads in the piscina pool. */
  botWorkers: number;
  /**
   * Players per bot connection: 1 = one WebSocket each; N > 1 = multiplexed connections (`?mux=1`) of up to
   * N players, so one server holds more players than the open-file limit allows sockets. Default 1.
   */
  playersPerConnection?: number;
}

/** One threshold from `expect:`, e.g. `retention < 0.6` for variant `madv-free` (or all when variant is null). */
export interface ExpectRule {
  variant: string | null;
  metric: string;
  op: '<' | '<=' | '>' | '>=';
  value: number;
  /** The text as written, for messages. */
  source: string;
}

export interface Scenario {
  name: string;
  description: string;
  /** Absolute path of the file it came from, when it came from a file. */
  file: string | null;
  server: ServerOptions;
  variants: VariantOptions[];
  load: LoadOptions;
  /** `baselineMs`: how long the server runs without players before the first phase (default max(2 s, 3 intervals)). */
  /** `warmupMs`: how much of the final hold drift leaves out (analysis/drift.ts; default a quarter of it). */
  record: { intervalMs: number; baselineMs?: number; warmupMs?: number };
  expect: ExpectRule[];
  output: { dir: string };
}
