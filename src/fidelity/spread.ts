// Several simload/skynet pairs of the same scenario, row by row: how many pairs met each target and the spread
// of their ratios (rows marked `spread` are shown without a target: CPU). One pair is one start of each process,
// and which arenas keep their pages changes from start to start on both sides (docs/fidelity.md), so a single
// table can pass or miss by chance.
// A variant's table that is INVALID (a side did not deliver its load) is left out of that variant's counts. Pure.
import type { FidelityTable } from '../analysis/fidelity.js';

export interface SpreadRow {
  variant: string;
  metric: string;
  target: string;
  /** Per pair: simload/skynet, or the LazyFree words `held / after 3.0s`; `INVALID`; null for no value. */
  cells: (string | null)[];
  /** Ratios of the valid pairs, for the median (the LazyFree row has none when both hold). */
  ratios: number[];
  passes: number;
  /** Valid pairs where the row could be judged (pass true or false). */
  judged: number;
}

export interface Spread {
  pairs: number;
  /** Tables left out because a side did not deliver its load: 1-based pair number and variant. */
  invalid: Array<{ pair: number; variant: string }>;
  rows: SpreadRow[];
}

const short = (words: string) => (words === 'held to the end' ? 'held' : words);

export function fidelitySpread(pairs: FidelityTable[][]): Spread {
  const invalid: Spread['invalid'] = [];
  const rows = new Map<string, SpreadRow>();
  pairs.forEach((tables, i) => {
    for (const t of tables) {
      const bad = t.invalid.length > 0;
      if (bad) invalid.push({ pair: i + 1, variant: t.variant });
      for (const r of t.rows) {
        if (r.target === undefined && !r.spread) continue;
        const key = `${t.variant}\u0000${r.metric}`;
        let row = rows.get(key);
        if (!row) {
          row = {
            variant: t.variant,
            metric: r.metric,
            target: r.target ?? '-',
            cells: pairs.map(() => null),
            ratios: [],
            passes: 0,
            judged: 0,
          };
          rows.set(key, row);
        }
        if (bad) {
          row.cells[i] = 'INVALID';
          continue;
        }
        const lazy = r.metric.startsWith('LazyFree taken back');
        row.cells[i] = lazy
          ? `${short(t.lazyFree.simload)} / ${short(t.lazyFree.skynet)}`
          : r.ratio === null
            ? null
            : r.ratio.toFixed(2);
        if (r.ratio !== null) row.ratios.push(r.ratio);
        if (r.pass === true || r.pass === false) {
          row.judged++;
          if (r.pass) row.passes++;
        }
      }
    }
  });
  return { pairs: pairs.length, invalid, rows: [...rows.values()] };
}

/** True when every judged row of every valid table met its target and at least one row was judged. */
export function spreadHolds(s: Spread): boolean {
  return s.rows.some((r) => r.judged > 0) && s.rows.every((r) => r.passes === r.judged);
}
