// The report's "active - allocated by size class" section: per variant, at the peak and at settle, the small size
// classes holding the most free room in their slabs, then the other classes, the small total, large extents and
// jemalloc's active - allocated, which the rows add up to. From summary.json's sizeClasses (analysis/sizeclass.ts).

import { formatBytes, formatDuration } from '../units.js';
import type { RunData } from '../analysis/load.js';
import { escapeHtml as esc, type ReportSection, type ReportSectionOutput } from './sections.js';
import type { SizeClassPoint } from '../analysis/sizeclass.js';
import type { Summary } from '../analysis/summary.js';

/** Classes shown one by one; the others are summed in one row. */
export const TOP_CLASSES = 12;

const pct = (x: number | null) => (x === null ? '-' : `${(x * 100).toFixed(1)}%`);
const bytes = (b: number) => esc(formatBytes(b));

function pointTable(title: string, p: SizeClassPoint): string {
  const top = p.classes.slice(0, TOP_CLASSES);
  const others = p.classes.slice(TOP_CLASSES);
  const row = (cells: string[]) => `<tr>${cells.map((c) => `<td>${c}</td>`).join('')}</tr>`;
  const share = (gap: number) => pct(p.activeMinusAllocated > 0 ? gap / p.activeMinusAllocated : null);
  const rows = top.map((c) =>
    row([
      bytes(c.size),
      bytes(c.slabSize),
      bytes(c.allocated),
      bytes(c.active),
      bytes(c.gap),
      share(c.gap),
      pct(c.utilisation),
    ]),
  );
  if (others.length) {
    const sum = (k: 'allocated' | 'active' | 'gap') => others.reduce((t, c) => t + c[k], 0);
    const a = sum('allocated');
    const act = sum('active');
    rows.push(
      row([
        `${others.length} other classes`,
        '',
        bytes(a),
        bytes(act),
        bytes(sum('gap')),
        share(sum('gap')),
        pct(act > 0 ? a / act : null),
      ]),
    );
  }
  rows.push(row(['<b>small classes</b>', '', '', '', `<b>${bytes(p.small)}</b>`, share(p.small), '']));
  rows.push(row(['large extents (a page each)', '', '', '', bytes(p.large), share(p.large), '']));
  rows.push(row(['<b>active - allocated</b>', '', '', '', `<b>${bytes(p.activeMinusAllocated)}</b>`, '', '']));
  const when =
    p.samples === 1
      ? `at ${formatDuration(p.fromMs)}`
      : `mean of ${p.samples} samples, ${formatDuration(p.fromMs)} to ${formatDuration(p.toMs)}`;
  return (
    `<h4>${esc(title)} (${esc(when)})</h4><table><tr><th>class size</th><th>slab size</th><th>allocated</th>` +
    `<th>active (slabs)</th><th>active - allocated</th><th>share</th><th>slab utilisation</th></tr>${rows.join('')}</table>`
  );
}

export function renderSizeClassSection(_run: RunData, summary: Summary): ReportSectionOutput | null {
  const html: string[] = [];
  for (const v of summary.variants) {
    const sc = v.sizeClasses;
    if (!sc || (!sc.peak && !sc.settle)) continue;
    html.push(`<h3>${esc(v.variant)}</h3>`);
    if (sc.peak) html.push(pointTable('at the peak', sc.peak));
    if (sc.settle) html.push(pointTable('at settle', sc.settle));
  }
  if (html.length === 0) return null;
  const intro =
    '<p>Per jemalloc small size class (all arenas merged): allocated = live regions x class size, active = slabs x ' +
    "slab size; active - allocated is the free room in the class's slabs, and slab utilisation = allocated / active. " +
    'Large allocations are whole extents: theirs is one page per extent. The rows add up to active - allocated.</p>';
  return { title: 'active - allocated by size class', html: intro + html.join('\n') };
}

export const sizeClassSection: ReportSection = { id: 'sizeclass', render: renderSizeClassSection };
