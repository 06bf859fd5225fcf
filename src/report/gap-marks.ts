// How a chart draws the times a watch did not record (analysis/gaps.ts finds them): its lines stop inside each
// gap and the gap is shaded, so a gap never reads as a flat line. Pure.

import type { Gap } from '../analysis/gaps.js';

/** A line's points with a null inside each gap, so the line stops there (points in time order, x in seconds). */
export function breakAtGaps<T extends [number, number | null]>(
  data: T[],
  gaps: readonly Gap[],
  sec: (ms: number) => number,
): Array<[number, number | null]> {
  if (gaps.length === 0) return data;
  const holes: Array<[number, null]> = gaps.map((g) => [sec((g.fromMs + g.toMs) / 2), null]);
  return [...data, ...holes].sort((a, b) => a[0] - b[0]);
}

/** An echarts markArea shading each gap, labelled. */
export function gapArea(gaps: readonly Gap[], sec: (ms: number) => number): Record<string, unknown> | undefined {
  if (gaps.length === 0) return undefined;
  return {
    silent: true,
    itemStyle: { color: 'rgba(120,120,120,0.15)' },
    label: { fontSize: 10, position: 'insideTop' },
    data: gaps.map((g) => [{ name: 'not recording', xAxis: sec(g.fromMs) }, { xAxis: sec(g.toMs) }]),
  };
}
