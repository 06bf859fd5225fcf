// The console's summary: one column per variant, one row per metric. Pure: a string from plain data.

import { formatBytes, formatDuration } from '../units.js';
import { formatFidelity } from './fidelity-table.js';
import { showMetric } from '../analysis/metric-format.js';
import { METRICS } from '../analysis/metrics.js';
import type { LuaCodeSummary } from '../analysis/lua-code.js';
import type { Summary, VariantSummary } from '../analysis/summary.js';
import { invalidRunLines } from '../analysis/verdict.js';

export function formatSummaryTable(summary: Summary): string {
  if (summary.variants.length === 0)
    return (
      [...invalidLines(summary), `simload: no samples${summary.scenario ? ` for ${summary.scenario}` : ''}`].join(
        '\n',
      ) + '\n'
    );
  const rows: string[][] = [['', ...summary.variants.map((v) => v.variant)]];
  for (const m of METRICS) rows.push([m.label, ...summary.variants.map((v) => showMetric(m, v))]);
  rows.push(['LazyFree peak', ...summary.variants.map(lazyPeak)]);
  rows.push(['LazyFree taken back', ...summary.variants.map(lazyBack)]);
  rows.push(['settled: live/frag/dirty/meta/lazy/rest', ...summary.variants.map(settledParts)]);
  if (summary.variants.some((v) => v.luaCode))
    rows.push(['Lua prototypes', ...summary.variants.map((v) => formatLuaCode(v.luaCode))]);
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  const line = (r: string[]) =>
    r
      .map((cell, c) => (c === 0 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!)))
      .join('  ')
      .trimEnd();
  const out = [line(rows[0]!), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.slice(1).map(line)];
  const head =
    `simload ${summary.scenario ?? ''}${summary.status && summary.status !== 'complete' ? ` (${summary.status})` : ''}`.trimEnd();
  // A run with real skynet variants: each beside the simload variants of its build, with the fidelity targets.
  const fidelity = summary.fidelity?.length
    ? ['', formatFidelity(summary.fidelity, 'beside a real skynet (docs/fidelity.md, "The table")').trimEnd()]
    : [];
  return (
    [...invalidLines(summary), head, ...out, ...summary.notes.map((n) => `note: ${n}`), ...fidelity].join('\n') + '\n'
  );
}

/** First thing a reader sees when the run did not deliver its load. Pure. */
export function invalidLines(summary: Summary): string[] {
  if (summary.valid !== false) return [];
  return invalidRunLines(summary.invalid ?? []);
}

function lazyPeak(v: VariantSummary): string {
  const l = v.lazyFree;
  return l.peak > 0 && l.peakAtMs !== null ? `${formatBytes(l.peak)} at ${formatDuration(l.peakAtMs)}` : '0';
}

function lazyBack(v: VariantSummary): string {
  const l = v.lazyFree;
  if (l.peak === 0) return '-';
  return l.reclaimedAtMs === null ? 'still held' : `at ${formatDuration(l.reclaimedAtMs)} (${l.reclaimedPhase})`;
}

function settledParts(v: VariantSummary): string {
  const b = v.settledBreakdown;
  if (!b) return '-';
  const mib = (n: number | null) => (n === null ? '?' : (n / 2 ** 20).toFixed(0));
  return `${mib(b.live)}/${mib(b.fragmentation)}/${mib(b.dirty)}/${mib(b.metadata)}/${mib(b.lazyFree)}/${mib(b.rest)} MiB`;
}

/** The table's cell: e.g. `shared, 189 KiB once` or `per VM, 70.1 KiB each`. */
export function formatLuaCode(c: LuaCodeSummary | null | undefined): string {
  if (!c) return '-';
  if (c.model === 'shared') return `shared, ${formatBytes(c.cacheBytes)} once`;
  return c.heapBytes > 0 ? `per VM, ${formatBytes(c.perVm)} each` : 'per VM, none loaded';
}
