// The fidelity table as text: per variant, simload beside real skynet, the ratio and the targets, then
// active - allocated at settle by size class. Pure.
import { formatBytes, formatDuration } from '../units.js';
import type {
  FidelityRow,
  FidelityTable,
  SizeClassComparison,
  SizeClassCompareRow,
  Unit,
} from '../analysis/fidelity.js';
import type { HoldTicks } from '../analysis/decay-ticks.js';

/** A row's value in its unit. */
function fidelityCell(v: number | null, unit: Unit): string {
  if (v === null || !Number.isFinite(v)) return '-';
  if (unit === 'bytes') return formatBytes(v);
  if (unit === 'ms') return v === 0 ? '0' : formatDuration(v);
  if (unit === 'cpu-ms') return `${v < 10 ? v.toFixed(2) : v.toFixed(1)} ms`;
  if (unit === 'count') return String(Math.round(v));
  return v.toFixed(2);
}

/** `ok (within 10%)`, `MISS (...)`, `n/a (...)`; `invalid run (...)` when a side did not deliver its load; '' without a target. */
function fidelityVerdict(r: FidelityRow, invalid: boolean): string {
  if (r.target === undefined) return '';
  if (invalid) return `invalid run (${r.target})`;
  return `${r.pass === null ? 'n/a' : r.pass ? 'ok' : 'MISS'} (${r.target})`;
}

/** A row's cells as text: simload, skynet (the LazyFree row in words), the ratio and the verdict. */
export function rowCells(t: FidelityTable, r: FidelityRow): string[] {
  const lazy = r.metric.startsWith('LazyFree taken back');
  return [
    lazy ? t.lazyFree.simload : fidelityCell(r.simload, r.unit),
    lazy ? t.lazyFree.skynet : fidelityCell(r.skynet, r.unit),
    r.ratio === null ? '-' : r.ratio.toFixed(2),
    fidelityVerdict(r, t.invalid.length > 0),
  ];
}

export function formatFidelity(tables: FidelityTable[], title: string): string {
  const out: string[] = [title];
  for (const t of tables) {
    const rows: string[][] = [
      [t.skynet ? `${t.variant} vs ${t.skynet}` : t.variant, 'simload', 'skynet', 'simload/skynet', 'target'],
    ];
    for (const r of t.rows) rows.push([r.metric, ...rowCells(t, r)]);
    const invalid = t.invalid.length
      ? [
          `INVALID: ${t.variant}: a side did not deliver the load it asked for, so this table measures nothing (docs/report.md, "Load validity")`,
          ...t.invalid.map((r) => `  ${r}`),
        ]
      : [];
    out.push('', ...invalid, ...columns(rows, [0, 4]), ...t.notes.map((n) => `note: ${n}`));
    if (t.arenaTicks) out.push('', ...arenaTickLines(t.variant, t.arenaTicks));
    if (t.sizeClasses) out.push('', ...sizeClassLines(t.variant, t.sizeClasses));
  }
  return out.join('\n') + '\n';
}

/** Rows as aligned columns under a rule; columns in `left` are left-aligned, the others right-aligned. */
export function columns(rows: string[][], left: number[]): string[] {
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  const line = (r: string[]) =>
    r
      .map((x, c) => (left.includes(c) ? x.padEnd(widths[c]!) : x.padStart(widths[c]!)))
      .join('  ')
      .trimEnd();
  return [line(rows[0]!), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.slice(1).map(line)];
}

const LABELS = {
  others: 'other classes',
  small: 'small classes',
  large: 'large extents',
  total: 'active - allocated',
} as const;
const slabUse = (u: number | null): string => (u === null ? '' : `${(u * 100).toFixed(0)}%`);

/** One size-class row as text: the class, simload, skynet, the ratio, each side's slab use (allocated / active). */
export function sizeClassCells(r: SizeClassCompareRow): string[] {
  const label = typeof r.size === 'number' ? formatBytes(r.size) : LABELS[r.size];
  return [
    label,
    formatBytes(r.simload),
    formatBytes(r.skynet),
    r.ratio === null ? '-' : r.ratio.toFixed(2),
    slabUse(r.simloadUtil),
    slabUse(r.skynetUtil),
  ];
}

/** active - allocated at settle per size class, simload beside skynet, with each side's slab utilisation. */
function sizeClassLines(variant: string, sc: SizeClassComparison): string[] {
  const rows: string[][] = [
    [
      `${variant}: active - allocated at settle by size class`,
      'simload',
      'skynet',
      'simload/skynet',
      'slab use simload',
      'skynet',
    ],
  ];
  for (const r of sc.rows) rows.push(sizeClassCells(r));
  return columns(rows, [0]);
}

/** Each side's arenas over the quiet hold, side by side: decay ticks, ticks per message, purges, dirty at the end. */
export function arenaTickLines(variant: string, t: { simload: HoldTicks | null; skynet: HoldTicks | null }): string[] {
  const span = (h: HoldTicks | null) =>
    h ? `${((h.toMs - h.fromMs) / 1000).toFixed(0)} s, ${h.messages ?? '?'} messages` : 'not counted';
  const cells = (h: HoldTicks | null, i: number): string[] => {
    const a = h?.arenas[i];
    if (!h || !a) return ['', '', '', '', ''];
    return [
      String(a.arena),
      String(a.ticks),
      h.messages ? (a.ticks / h.messages).toFixed(2) : '-',
      String(a.purges),
      formatBytes(a.dirtyEnd),
    ];
  };
  const n = Math.max(t.simload?.arenas.length ?? 0, t.skynet?.arenas.length ?? 0);
  const rows: string[][] = [
    [
      'simload arena',
      'decay ticks',
      'per message',
      'purges',
      'dirty at the end',
      'skynet arena',
      'decay ticks',
      'per message',
      'purges',
      'dirty at the end',
    ],
  ];
  for (let i = 0; i < n; i++) rows.push([...cells(t.simload, i), ...cells(t.skynet, i)]);
  return [
    `${variant}: decay ticks per arena over the quiet hold (simload ${span(t.simload)}; skynet ${span(t.skynet)}); jemalloc 5.0.x runs an arena's decay on each 1 000th tick of one thread on it`,
    ...columns(rows, []),
  ];
}
