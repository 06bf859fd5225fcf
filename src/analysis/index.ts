// The analysis's public API in one place (run/, plan/ and fidelity/ import from here): what a run folder holds,
// its summary and its verdict.
export { loadRun, parseNdjson, type RunData } from './load.js';
export {
  summarize,
  summarizeVariant,
  SUMMARY_SCHEMA,
  SUMMARY_SCHEMA_VERSION,
  SETTLE_FALL,
  SETTLE_MIN_FALL,
  LAZYFREE_RECLAIMED,
} from './summary.js';
export type { Summary, VariantSummary } from './summary.js';
export type { PhaseLatency, LatencyMs } from './latency.js';
export {
  breakdown,
  breakdownOf,
  breakdownSum,
  allocKind,
  BREAKDOWN_PARTS,
  BREAKDOWN_LABELS,
  type Breakdown,
  type AllocKind,
} from './breakdown.js';
export { checkExpectations, formatExpectations, type ExpectResult } from './expect.js';
export { compareSummaries, type Comparison } from './compare.js';
export { diagnose } from './diagnose.js';
export { formatMetric } from './metric-format.js';
export { METRICS } from './metrics.js';
export { isWatchFolder } from './watch-folder.js';
export {
  verdict,
  summaryValidity,
  invalidRunLines,
  folderVerdictInput,
  type RunVerdict,
  type VerdictInput,
  type RunEnd,
} from './verdict.js';
