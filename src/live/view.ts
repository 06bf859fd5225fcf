// One update of the live page: the report's charts (report/charts.ts) over what has been recorded so far, the
// phase each variant is in, and the report's own validity judgement of the folder as it stands (what
// `simload report DIR` would say now; the phase in progress counts with what it has so far). The charts draw at
// most CHART_POINTS samples per variant (a screen shows no more; it keeps an update cheap on a long watch), the
// validity reads every sample kept. Pure but for the clock.

import type { ChartOption } from '../report/chart-kit.js';
import { breakdownChartOption, latencyChartOption, memoryChartOption } from '../report/charts.js';
import { samplesByVariant } from '../analysis/load.js';
import { summarize } from '../analysis/summary.js';
import { checkValidity } from '../analysis/validity.js';
import { isWatchFolder } from '../analysis/watch-folder.js';
import type { LiveHistory } from './history.js';

export interface LiveVariant {
  variant: string;
  phase: string;
  phaseIndex: number;
  /** Phases of the scenario (0 for a watch: its phases are the operator's marks). */
  phaseCount: number;
  t: number;
  target: number;
  online: number;
  rss: number;
  lazyFree: number;
  samples: number;
  /** null: not judged (a watch asks for no load). */
  valid: boolean | null;
  reasons: string[];
}

export interface LiveUpdate {
  title: string;
  dir: string;
  wall: number;
  variants: LiveVariant[];
  charts: Array<{ id: string; height: number; option: ChartOption }>;
}

export const CHART_POINTS = 600;

export function liveUpdate(h: LiveHistory): LiveUpdate {
  const all = h.runData();
  const run = h.runData(CHART_POINTS);
  const summary = summarize(run);
  const judged = !isWatchFolder(run.scenario);
  const phaseCount = judged ? (run.scenario?.load.phases.length ?? 0) : 0;
  const allByVariant = samplesByVariant(all);
  const byVariant = samplesByVariant(run);
  const variants: LiveVariant[] = h.latest().map((s) => {
    const kept = allByVariant.get(s.variant) ?? [];
    const v = judged
      ? checkValidity(kept, all.latency?.variants[s.variant] ?? null, all.events, s.variant, all.scenario)
      : null;
    return {
      variant: s.variant,
      phase: s.phase,
      phaseIndex: s.phaseIndex,
      phaseCount,
      t: s.t,
      target: s.target,
      online: s.online,
      rss: s.proc.rss,
      lazyFree: s.proc.lazyFree,
      samples: h.seen(s.variant),
      valid: v ? v.valid : null,
      reasons: v ? v.reasons : [],
    };
  });
  const charts: LiveUpdate['charts'] = [{ id: 'chart-memory', height: 420, option: memoryChartOption(run) }];
  let n = 0;
  for (const [variant, samples] of byVariant)
    charts.push({
      id: `chart-breakdown-${n++}`,
      height: 360,
      option: breakdownChartOption(variant, samples, run.events),
    });
  const lat = latencyChartOption(summary);
  if (lat) charts.push({ id: 'chart-latency', height: 360, option: lat });
  return { title: `simload: ${summary.scenario ?? 'run'}`, dir: h.dir, wall: Date.now(), variants, charts };
}
