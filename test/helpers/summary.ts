// Test helper (not a test): a run's summary around hand-made variant summaries, for checkExpectations and compare.
import type { Summary, VariantSummary } from '../../src/analysis/summary.js';

export function summaryOf(...variants: VariantSummary[]): Summary {
  return {
    schema: 'simload.summary',
    v: 2,
    scenario: 's',
    status: 'complete',
    startedAt: null,
    endedAt: null,
    variants,
    notes: [],
  };
}
