// Times a watch did not record: from the last record before a restart into its folder (`simload watch
// --resume`) to the restart, as run.json's `resumes` says. The summary lists them and the charts break their
// lines there and shade them, so a gap never reads as a flat line. Pure.

import type { RunMeta } from '../results/layout.js';
import type { Sample } from '../results/sample.js';

export interface Gap {
  /** Sample times (ms since the watch first began) of the last record before the gap and of the restart. */
  fromMs: number;
  toMs: number;
}

/** The gaps of run.json that overlap the samples' span (all of them, or a window's). */
export function runGaps(meta: Pick<RunMeta, 'resumes'> | null, samples: readonly Sample[]): Gap[] {
  if (!meta?.resumes?.length || samples.length === 0) return [];
  const first = samples.reduce((m, s) => Math.min(m, s.t), Infinity);
  const last = samples.reduce((m, s) => Math.max(m, s.t), -Infinity);
  return meta.resumes
    .map((r) => ({ fromMs: r.gapFromMs, toMs: r.gapToMs }))
    .filter((g) => g.toMs >= first && g.fromMs <= last);
}

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
