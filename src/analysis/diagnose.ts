// One plain sentence per variant answering the operator's question: was memory given back, and if not,
// is it live data, fragmentation, decay not yet run, or MADV_FREE? Pure.

import { formatBytes, formatDuration } from '../units.js';
import { decayEvidence } from './decay-diagnose.js';
import type { VariantSummary } from './summary.js';

const REASONS = {
  lazyFree:
    'MADV_FREE: freed pages still counted in Rss (LazyFree) until the kernel needs memory; a memory limit or pressure takes them back',
  dirty:
    'dirty pages jemalloc has not purged yet: decay has not run (it advances only when the arena is used, unless background_thread is on)',
  fragmentation: 'fragmentation: jemalloc pages that hold some live objects among freed ones',
  live: 'live data: the program still holds these bytes (players still online, or a leak)',
  residentNotActive: 'pages jemalloc keeps resident but not active (dirty pages not purged yet, and metadata)',
  rest: 'memory outside jemalloc (the Node runtime and everything else)',
} as const;

export function diagnose(v: VariantSummary): string {
  if (v.settledRss === null) return `${v.variant}: no phase to measure the settled Rss in.`;
  if (v.retention === null) return `${v.variant}: Rss never rose above its baseline (${formatBytes(v.baselineRss)}).`;
  const kept = `${v.variant} kept ${(v.retention * 100).toFixed(0)}% of its growth (settled ${formatBytes(v.settledRss)}, peak ${formatBytes(v.peakRss)}, baseline ${formatBytes(v.baselineRss)})`;
  const settle = v.timeToSettleMs !== null ? `, settled ${formatDuration(v.timeToSettleMs)} after the ramp-down` : '';
  const back =
    v.lazyFree.peak > 0
      ? v.lazyFree.reclaimedAtMs !== null
        ? `; LazyFree peaked at ${formatBytes(v.lazyFree.peak)} and was taken back at ${formatDuration(v.lazyFree.reclaimedAtMs)} (${v.lazyFree.reclaimedPhase})`
        : `; LazyFree peaked at ${formatBytes(v.lazyFree.peak)} and was still held at the end`
      : '';
  const b = v.settledBreakdown;
  if (v.retention < 0.25 || !b) return `${kept}${settle}: memory came back${back}.`;
  // With per-arena stats: which applies, with the evidence (decay-diagnose.ts).
  const evidence = decayEvidence(v.decay, b, v.rampDownEndMs);
  if (evidence) return `${kept}${settle}: ${evidence}${back}.`;
  const parts = (['lazyFree', 'dirty', 'residentNotActive', 'fragmentation', 'live', 'rest'] as const)
    .map((p) => ({ p, bytes: b[p] ?? 0 }))
    .filter((x) => x.bytes > 0)
    .sort((x, y) => y.bytes - x.bytes);
  const top = parts[0];
  if (!top) return `${kept}${settle}${back}.`;
  return `${kept}${settle}. Largest part at settle: ${formatBytes(top.bytes)} (${((top.bytes / v.settledRss) * 100).toFixed(0)}% of Rss) of ${REASONS[top.p]}${back}.`;
}
