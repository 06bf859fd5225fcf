// The fidelity table as text: per variant, simload beside real skynet, the ratio and the targets, then
// active - allocated at settle by size class; and several pairs' spread (spread.ts). Pure.
import { formatBytes, formatDuration } from '../units.js';
import { median } from '../report/phases.js';
import type { FidelityRow, FidelityTable, SizeClassComparison, Unit } from './compare.js';
import type { Spread } from './spread.js';

function cell(v: number | null, unit: Unit): string {
  if (v === null || !Number.isFinite(v)) return '-';
  if (unit === 'bytes') return formatBytes(v);
  if (unit === 'ms') return v === 0 ? '0' : formatDuration(v);
  if (unit === 'cpu-ms') return `${v < 10 ? v.toFixed(2) : v.toFixed(1)} ms`;
  if (unit === 'count') return String(Math.round(v));
  return v.toFixed(2);
}

function verdict(r: FidelityRow, invalid: boolean): string {
  if (r.target === undefined) return '';
  if (invalid) return `invalid run (${r.target})`;
  return `${r.pass === null ? 'n/a' : r.pass ? 'ok' : 'MISS'} (${r.target})`;
}

export function formatFidelity(tables: FidelityTable[], title: string): string {
  const out: string[] = [title];
  for (const t of tables) {
    const rows: string[][] = [[t.variant, 'simload', 'skynet', 'simload/skynet', 'target']];
    for (const r of t.rows) {
      const sim = r.metric.startsWith('LazyFree taken back') ? t.lazyFree.simload : cell(r.simload, r.unit);
      const sky = r.metric.startsWith('LazyFree taken back') ? t.lazyFree.skynet : cell(r.skynet, r.unit);
      rows.push([r.metric, sim, sky, r.ratio === null ? '-' : r.ratio.toFixed(2), verdict(r, t.invalid.length > 0)]);
    }
    const invalid = t.invalid.length
      ? [`INVALID: ${t.variant}: a side did not deliver the load it asked for, so this table measures nothing (docs/report.md, "Load validity")`, ...t.invalid.map((r) => `  ${r}`)]
      : [];
    out.push('', ...invalid, ...columns(rows, [0, 4]), ...t.notes.map((n) => `note: ${n}`));
    if (t.sizeClasses) out.push('', ...sizeClassLines(t.variant, t.sizeClasses));
  }
  return out.join('\n') + '\n';
}

/** Rows as aligned columns under a rule; columns in `left` are left-aligned, the others right-aligned. */
function columns(rows: string[][], left: number[]): string[] {
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  const line = (r: string[]) => r.map((x, c) => (left.includes(c) ? x.padEnd(widths[c]!) : x.padStart(widths[c]!))).join('  ').trimEnd();
  return [line(rows[0]!), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.slice(1).map(line)];
}

const LABELS = { others: 'other classes', small: 'small classes', large: 'large extents', total: 'active - allocated' } as const;
const util = (u: number | null) => (u === null ? '' : `${(u * 100).toFixed(0)}%`);

/** active - allocated at settle per size class, simload beside skynet, with each side's slab utilisation. */
function sizeClassLines(variant: string, sc: SizeClassComparison): string[] {
  const rows: string[][] = [[`${variant}: active - allocated at settle by size class`, 'simload', 'skynet', 'simload/skynet', 'slab use simload', 'skynet']];
  for (const r of sc.rows) {
    const label = typeof r.size === 'number' ? formatBytes(r.size) : LABELS[r.size];
    rows.push([label, formatBytes(r.simload), formatBytes(r.skynet), r.ratio === null ? '-' : r.ratio.toFixed(2), util(r.simloadUtil), util(r.skynetUtil)]);
  }
  return columns(rows, [0]);
}

/** Several pairs row by row: each pair's simload/skynet, the median ratio and how many pairs met the target. */
export function formatSpread(s: Spread): string {
  const left = s.invalid.map((x) => `pair ${x.pair} ${x.variant}`).join(', ');
  const head = `across ${s.pairs} pairs${left ? ` (left out, INVALID: ${left})` : ''}`;
  const out: string[] = [head];
  for (const variant of [...new Set(s.rows.map((r) => r.variant))]) {
    const rows: string[][] = [[variant, ...Array.from({ length: s.pairs }, (_, i) => `pair ${i + 1}`), 'median', 'pairs ok', 'target']];
    for (const r of s.rows.filter((x) => x.variant === variant)) {
      const m = median(r.ratios);
      rows.push([r.metric, ...r.cells.map((c) => c ?? '-'), m === null ? '-' : m.toFixed(2), `${r.passes} of ${r.judged}`, r.target]);
    }
    out.push('', ...columns(rows, [0, rows[0]!.length - 1]));
  }
  return out.join('\n') + '\n';
}
