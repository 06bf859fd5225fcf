// The sweep of a plan: the scenario's shape scaled to each peak in turn (holds shortened, pressure left out),
// each run's valid variants reduced to one measured point and copied into the plan folder. Stops at the first
// run that failed or was interrupted.

import { relative } from 'node:path';
import { ExitCode, type SimloadError } from '../errors.js';
import { loadRun, type RunData, type VariantSummary } from '../analysis/index.js';
import type { LatencyFile } from '../results/layout.js';
import type { PlanMeasuredPoint, PlanVariant } from '../results/plan.js';
import type { RunWriter } from '../results/writer.js';
import type { Scenario } from '../scenario/types.js';
import { copySeries, runOnce, seriesName } from './runs.js';
import { scaleScenario } from './scale.js';

export const SWEEP_SCALING = { shortenHolds: true, dropPressure: true } as const;

export interface SweepOptions {
  scenario: Scenario;
  variants: string[];
  peaks: number[];
  /** The plan folder: sweep runs go to its runs/, their series into it. */
  writer: RunWriter;
  runsDir: string;
  latency: LatencyFile;
  /** Points and notes are added here, per variant. */
  perVariant: Map<string, PlanVariant>;
  signal: AbortSignal;
  say: (line: string) => void;
  quiet: boolean | undefined;
}

/** Runs the sweep; returns the first run failure (null when none). */
export async function sweep(o: SweepOptions): Promise<SimloadError | null> {
  const { peaks, variants, writer, perVariant, signal } = o;
  let failure: SimloadError | null = null;
  o.say(
    `${peaks.length} runs at peaks ${peaks.join(', ')} for ${variants.join(', ')} (holds shortened); folder ${writer.dir}`,
  );
  for (const [i, peak] of peaks.entries()) {
    if (signal.aborted) break;
    o.say(`run ${i + 1}/${peaks.length}: peak ${peak} players`);
    const r = await runOnce(scaleScenario(o.scenario, peak, SWEEP_SCALING), variants, o.runsDir, signal, o.quiet);
    if (r.error) failure ??= r.error;
    if (!r.dir) break;
    const run = await loadRun(r.dir);
    for (const v of variants) {
      const vs = r.summary?.variants.find((x) => x.variant === v) ?? null;
      if (!vs || r.error || r.exitCode === ExitCode.interrupted) continue;
      // A run that did not deliver its load says nothing about what that load costs: not a point of the fit.
      if (vs.validity && !vs.validity.valid) {
        perVariant
          .get(v)!
          .notes.push(`peak ${peak}: the run is INVALID, not used for the fit (${vs.validity.reasons[0]})`);
        continue;
      }
      const point = pointOf(run, vs, peak, relative(writer.dir, r.dir));
      perVariant.get(v)!.points.push(point);
      copySeries(run, v, point.series, writer, o.latency);
    }
    if (r.error || r.exitCode === ExitCode.interrupted) break;
  }
  return failure;
}

/** One measured point from a run's summary and samples. */
export function pointOf(run: RunData, vs: VariantSummary, targetPeak: number, runRel: string): PlanMeasuredPoint {
  const samples = run.samples.filter((x) => x.variant === vs.variant);
  const peakUnreclaimable = Math.max(0, ...samples.map((x) => x.proc.rss - x.proc.lazyFree));
  const last = samples.at(-1);
  const settledRss = vs.settledRss ?? last?.proc.rss ?? 0;
  const settledUnreclaimable = vs.unreclaimableRss ?? (last ? last.proc.rss - last.proc.lazyFree : 0);
  return {
    players: vs.peakOnline,
    targetPeak,
    baselineRss: vs.baselineRss,
    peakRss: vs.peakRss,
    peakUnreclaimable,
    settledRss,
    settledUnreclaimable,
    settledLazyFree: settledRss - settledUnreclaimable,
    run: runRel,
    series: seriesName(vs.variant, targetPeak),
  };
}
