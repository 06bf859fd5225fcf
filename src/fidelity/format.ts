// Several simload/skynet pairs as text, row by row (spread.ts). Pure.
import { median } from '../analysis/phases.js';
import { columns } from '../report/fidelity-table.js';
import type { Spread } from './spread.js';

/** Several pairs row by row: each pair's simload/skynet, the median ratio and how many pairs met the target. */
export function formatSpread(s: Spread): string {
  const left = s.invalid.map((x) => `pair ${x.pair} ${x.variant}`).join(', ');
  const head = `across ${s.pairs} pairs${left ? ` (left out, INVALID: ${left})` : ''}`;
  const out: string[] = [head];
  for (const variant of [...new Set(s.rows.map((r) => r.variant))]) {
    const rows: string[][] = [
      [variant, ...Array.from({ length: s.pairs }, (_, i) => `pair ${i + 1}`), 'median', 'pairs ok', 'target'],
    ];
    for (const r of s.rows.filter((x) => x.variant === variant)) {
      const m = median(r.ratios);
      rows.push([
        r.metric,
        ...r.cells.map((c) => c ?? '-'),
        m === null ? '-' : m.toFixed(2),
        `${r.passes} of ${r.judged}`,
        r.target,
      ]);
    }
    out.push('', ...columns(rows, [0, rows[0]!.length - 1]));
  }
  return out.join('\n') + '\n';
}
