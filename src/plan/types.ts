// plan.json: what `simload plan` measured and concluded. Read by the console table and the report section.

import type { CapacityFit, PlanPoint } from './fit.js';

export const PLAN_SCHEMA = 'simload.plan';
export const PLAN_SCHEMA_VERSION = 1;

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
}
