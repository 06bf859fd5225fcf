// plan.json: what `simload plan` measured and concluded. Written by plan/, read by the console table and the
// report's plan section (which draws it without importing plan/).

import type { ServerModel } from './server-model.js';

export const PLAN_SCHEMA = 'simload.plan';
export const PLAN_SCHEMA_VERSION = 1;

/** One run of the sweep, reduced to what the fit needs. Bytes. */
export interface PlanPoint {
  /** Peak online players of the run. */
  players: number;
  /** Highest Rss of any sample. */
  peakRss: number;
  /** Highest Rss - LazyFree of any sample: what the process needed at its worst if the kernel takes LazyFree back. */
  peakUnreclaimable: number;
  /** Median Rss over the last tenth of the final hold (after the ramp-down). */
  settledRss: number;
  /** Median Rss - LazyFree over the same window. */
  settledUnreclaimable: number;
}

export interface Line {
  /** Bytes per player. */
  slope: number;
  /** Bytes at zero players (the runtime and the allocator's fixed cost). */
  intercept: number;
  /** Coefficient of determination; 1 when every point is on the line (also for two points). */
  r2: number;
  n: number;
}

/** A fitted line's prediction: bytes at `players` (what the report draws from plan.json). */
export function predict(line: Line, players: number): number {
  return line.intercept + line.slope * players;
}

export interface CapacityFit {
  /** Budget after headroom: budget x (1 - headroom). */
  usableBytes: number;
  lines: { peakRss: Line; peakUnreclaimable: Line; settledRss: Line; settledUnreclaimable: Line };
  /** Slope of the peak Rss line. */
  bytesPerPlayer: number;
  /** Intercept of the peak Rss line. */
  baseBytes: number;
  /** Largest count whose predicted peak Rss fits the usable budget: safe even if the kernel reclaims nothing. */
  recommended: number | null;
  /** Largest count whose predicted peak Rss - LazyFree fits: what fits when a hard limit makes the kernel reclaim. */
  fitsIfReclaimed: number | null;
  /** Predictions at `recommended` (null when there is no recommendation). */
  atRecommended: {
    peakRss: number;
    /** After the ramp-down: settled Rss, of which LazyFree (reclaimable) and the rest (truly needed). */
    settledRss: number;
    settledReclaimable: number;
    settledNeeded: number;
  } | null;
  /** The recommendation lies beyond 1.5x the largest measured count: a straight-line extrapolation. */
  extrapolated: boolean;
  largestMeasured: number;
}

export interface PlanMeasuredPoint extends PlanPoint {
  /** Peak the sweep asked for (players is what was measured online). */
  targetPeak: number;
  baselineRss: number;
  /** LazyFree at the settle window (settled Rss - settled unreclaimable). */
  settledLazyFree: number;
  /** The run folder, relative to the plan folder. */
  run: string;
  /** Name of this point in the plan folder's samples (variant@players). */
  series: string;
}

export interface PlanVerify {
  players: number;
  /** The hard limit the server ran under (the budget), bytes. */
  limitBytes: number;
  /** passed: no OOM kill and the run completed; failed: killed or the run failed; skipped: could not be checked. */
  result: 'passed' | 'failed' | 'skipped';
  oomKills: number;
  peakRss: number | null;
  /** Highest charge the kernel saw in the server's group is not kept; peak Rss - LazyFree is. */
  peakUnreclaimable: number | null;
  detail: string;
  run: string | null;
  series: string | null;
}

export interface PlanVariant {
  variant: string;
  points: PlanMeasuredPoint[];
  /** Null when fewer than two distinct player counts were measured. */
  fit: CapacityFit | null;
  verify: PlanVerify | null;
  notes: string[];
}

export interface PlanFile {
  schema: typeof PLAN_SCHEMA;
  v: typeof PLAN_SCHEMA_VERSION;
  scenario: string;
  status: 'complete' | 'interrupted' | 'failed';
  budgetBytes: number;
  /** Fraction of the budget kept free (0.1 = 10%). */
  headroom: number;
  usableBytes: number;
  /** Peaks the sweep ran, in order. */
  peaks: number[];
  startedAt: string;
  durationMs: number;
  variants: PlanVariant[];
  notes: string[];
  /**
   * The server model the plan's numbers describe (agent kind, service library, Lua: results/server-model.ts);
   * absent in plans written before it.
   */
  model?: ServerModel | null;
}
