// The report's public API in one place (run/ and plan/ import from here).
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
export type { Summary, VariantSummary, PhaseLatency, LatencyMs } from './summary.js';
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
export { renderReport, renderSvg } from './render.js';
export { formatSummaryTable } from './table.js';
export { checkExpectations, formatExpectations, type ExpectResult } from './expect.js';
export { writeJUnit, formatJUnit } from './junit.js';
export { compareSummaries, formatComparison, type Comparison } from './compare.js';
export { diagnose } from './diagnose.js';
export { formatMetric } from './format.js';
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
