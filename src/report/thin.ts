// The samples a chart draws: at most CHART_POINTS of them, so that report.html stays the same size for a
// week-long watch as for an hour. Over more, time is cut into CHART_POINTS / 2 equal slices and each keeps its
// lowest- and highest-Rss samples (whole samples: every series of a chart is drawn from the same ones), so
// peaks and troughs stay on the chart. Metrics are computed from every sample, never from these. Pure.

import type { Sample } from '../results/sample.js';

export const CHART_POINTS = 2000;

export function chartSamples<T extends Sample>(samples: readonly T[], points = CHART_POINTS): T[] {
  if (samples.length <= points) return [...samples];
  const slices = Math.max(1, Math.floor(points / 2));
  const from = samples[0]!.t;
  const span = Math.max(1, samples.at(-1)!.t - from);
  const out: T[] = [];
  let key = -1;
  let lo: T | null = null;
  let hi: T | null = null;
  const close = () => {
    if (lo && hi) out.push(...(lo === hi ? [lo] : lo.t <= hi.t ? [lo, hi] : [hi, lo]));
  };
  for (const s of samples) {
    const k = Math.min(slices - 1, Math.floor(((s.t - from) / span) * slices));
    if (k !== key) {
      close();
      key = k;
      lo = hi = s;
    } else {
      if (s.proc.rss < lo!.proc.rss) lo = s;
      if (s.proc.rss > hi!.proc.rss) hi = s;
    }
  }
  close();
  return out;
}
