// What the summary says of a long watch's folder: the gaps where it did not record (restarts, gaps.ts), the
// downsampled older samples among those read (load.ts), and the window a report is of. Pure.

import { isServiceReading } from '../results/downsample.js';
import type { Sample } from '../results/sample.js';
import { formatDuration } from '../units.js';
import { runGaps, type Gap } from './gaps.js';
import type { RunData } from './load.js';

export interface LongWatchFields {
  /** Times the watch did not record (restarts into its folder, run.json `resumes`), sample times. */
  gaps?: Gap[];
  /** Downsampled older samples among those read: how many, the last one's time, and the period they were kept per. */
  older?: { samples: number; untilMs: number; periodMs: number | null };
  /** The window this summary is of (`simload report --from/--to`), sample times; absent for the whole folder. */
  window?: { fromMs: number | null; toMs: number | null; samples: number };
}

export function longWatchFields(run: RunData): { fields: LongWatchFields; notes: string[] } {
  const notes: string[] = [];
  const fields: LongWatchFields = {};
  const gaps = runGaps(run.meta, run.samples);
  if (gaps.length > 0) {
    fields.gaps = gaps;
    for (const g of gaps)
      notes.push(
        `nothing recorded from ${formatDuration(g.fromMs)} to ${formatDuration(g.toMs)} (${formatDuration(g.toMs - g.fromMs)}): the watch stopped and was started again into this folder`,
      );
  }
  if (run.older) {
    const periodMs = run.meta?.retention?.periodMs ?? null;
    fields.older = { ...run.older, periodMs };
    const per = periodMs !== null ? ` per ${formatDuration(periodMs)}` : '';
    notes.push(
      `${run.older.samples} samples up to ${formatDuration(run.older.untilMs)} are downsampled (highest and lowest Rss, highest allocated and LazyFree, phase starts, the last service reading and the last sample${per}); full resolution after`,
    );
  }
  return { fields, notes };
}

/**
 * One sample per period (its last) and the period's last per-service reading: what drift is fitted to in a
 * folder with downsampled samples, so that the recent day at full resolution does not outweigh the older days
 * kept a few samples a period (least squares weighs each sample alike).
 */
export function evenSeries(samples: readonly Sample[], periodMs: number): Sample[] {
  const last = new Map<number, Sample>();
  const reading = new Map<number, Sample>();
  for (const s of samples) {
    const k = Math.floor(s.t / periodMs);
    last.set(k, s);
    if (isServiceReading(s)) reading.set(k, s);
  }
  return [...new Set([...last.values(), ...reading.values()])].sort((a, b) => a.t - b.t);
}
