// Times a watch did not record: from the last record before a restart into its folder (`simload watch
// --resume`) to the restart, as run.json's `resumes` says. The summary lists them and the charts break their
// lines there and shade them (report/gap-marks.ts), so a gap never reads as a flat line. Pure.

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
