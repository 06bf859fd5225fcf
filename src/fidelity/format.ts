// The fidelity table as text: per variant, simload beside real skynet, the ratio and issue 9's targets. Pure.
import { formatBytes, formatDuration } from '../units.js';
import type { FidelityRow, FidelityTable, Unit } from './compare.js';

function cell(v: number | null, unit: Unit): string {
  if (v === null || !Number.isFinite(v)) return '-';
  if (unit === 'bytes') return formatBytes(v);
  if (unit === 'ms') return v === 0 ? '0' : formatDuration(v);
  if (unit === 'count') return String(Math.round(v));
  return v.toFixed(2);
}

function verdict(r: FidelityRow): string {
  if (r.target === undefined) return '';
  return `${r.pass === null ? 'n/a' : r.pass ? 'ok' : 'MISS'} (${r.target})`;
}

export function formatFidelity(tables: FidelityTable[], title: string): string {
  const out: string[] = [title];
  for (const t of tables) {
    const rows: string[][] = [[t.variant, 'simload', 'skynet', 'simload/skynet', 'issue 9 target']];
    for (const r of t.rows) {
      const sim = r.metric.startsWith('LazyFree taken back') ? t.lazyFree.simload : cell(r.simload, r.unit);
      const sky = r.metric.startsWith('LazyFree taken back') ? t.lazyFree.skynet : cell(r.skynet, r.unit);
      rows.push([r.metric, sim, sky, r.ratio === null ? '-' : r.ratio.toFixed(2), verdict(r)]);
    }
    const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
    const line = (r: string[]) => r.map((x, c) => (c === 0 || c === 4 ? x.padEnd(widths[c]!) : x.padStart(widths[c]!))).join('  ').trimEnd();
    out.push('', line(rows[0]!), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.slice(1).map(line), ...t.notes.map((n) => `note: ${n}`));
  }
  return out.join('\n') + '\n';
}
