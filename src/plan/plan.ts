// `simload plan`: runs the scenario's shape at a few peaks, fits how memory grows with players, and applies a
// budget. The plan folder is itself a run folder: every sweep run's samples are copied in under the series
// name variant@players, so report.html shows all of them next to the plan section (report/plan-section.ts).
// --verify then runs the recommended count under the budget as a hard cgroup limit. This file composes the
// steps: sweep (sweep.ts), fit (fit.ts), verify (verify.ts), then plan.json, the report and the table.

import { join } from 'node:path';
import type { Writable } from 'node:stream';
import { detectMemoryCgroup, sweepStaleCgroups } from '../cgroup/memory-cgroup.js';
import { ServerCgroups } from '../cgroup/server-cgroup.js';
import { SimloadError, UsageError } from '../errors.js';
import { renderReport } from '../report/index.js';
import type { LatencyFile } from '../results/layout.js';
import { PLAN_SCHEMA, PLAN_SCHEMA_VERSION, type PlanFile, type PlanVariant } from '../results/plan.js';
import { serverModel } from '../results/server-model.js';
import { thisHost } from '../results/host.js';
import { RunWriter } from '../results/writer.js';
import { RunFailedError } from '../session/session.js';
import { preflight, selectVariants } from '../run/preflight.js';
import { peakPlayers } from '../scenario/peak.js';
import type { Scenario } from '../scenario/types.js';
import { verdictOf } from '../verdict.js';
import { fitCapacity } from './fit.js';
import { seriesName } from './runs.js';
import { scaleScenario, sweepPeaks } from './scale.js';
import { sweep, SWEEP_SCALING } from './sweep.js';
import { formatPlanTable } from './table.js';
import { verifyVariant } from './verify.js';

export interface PlanOptions {
  budgetBytes: number;
  /** Fraction of the budget kept free, in [0, 1). */
  headroom: number;
  /** Runs in the sweep (distinct peaks), at least 2. */
  points: number;
  variants?: string[];
  /** Largest peak of the sweep; default the scenario's own peak. */
  maxPlayers?: number;
  verify: boolean;
  outDir?: string;
  signal?: AbortSignal;
  /** No progress from the runs. */
  quiet?: boolean;
  /** Where the table and messages go (default stdout). */
  out?: Writable;
}

export interface PlanResult {
  dir: string;
  plan: PlanFile;
  exitCode: number;
}

/** Checks the options before anything runs; UsageError names the flag. */
export function validatePlanOptions(s: Scenario, o: PlanOptions): void {
  if (!(o.budgetBytes > 0))
    throw new UsageError('ERR_PLAN_BUDGET', `--budget: expected a size above 0 such as 4GiB, got ${o.budgetBytes}`);
  if (!(o.headroom >= 0 && o.headroom < 1))
    throw new UsageError(
      'ERR_PLAN_HEADROOM',
      `--headroom: expected a fraction from 0% to below 100%, got ${o.headroom}`,
    );
  if (!Number.isInteger(o.points) || o.points < 2)
    throw new UsageError(
      'ERR_PLAN_POINTS',
      `--points: expected a whole number of at least 2 (a line needs two points), got ${o.points}`,
    );
  if (o.maxPlayers !== undefined && (!Number.isInteger(o.maxPlayers) || o.maxPlayers < o.points)) {
    throw new UsageError(
      'ERR_PLAN_MAX_PLAYERS',
      `--max-players: expected a whole number of at least --points (${o.points}), got ${o.maxPlayers}`,
    );
  }
  if (peakPlayers(s) <= 0) {
    throw new UsageError(
      'ERR_PLAN_SCENARIO',
      `${s.file ?? s.name}: load.phases has no ramp to an absolute player count, so there is no peak to scale`,
    );
  }
  if (o.verify) {
    const d = detectMemoryCgroup();
    if (!d.available)
      throw new UsageError(
        'ERR_PLAN_VERIFY',
        `--verify needs a memory cgroup to hold the server to the budget, and ${d.reason}`,
      );
  }
}

export async function runPlan(s: Scenario, text: string | null, o: PlanOptions): Promise<PlanResult> {
  validatePlanOptions(s, o);
  const variants = selectVariants(s, o.variants).map((v) => v.name);
  const out = o.out ?? process.stdout;
  const signal = o.signal ?? new AbortController().signal;
  const say = (line: string) => {
    if (!o.quiet) process.stderr.write(`plan: ${line}\n`);
  };
  const peaks = sweepPeaks(o.maxPlayers ?? peakPlayers(s), o.points);
  // The largest run's checks (builds, open files) before a plan folder exists.
  await preflight(scaleScenario(s, peaks.at(-1)!, SWEEP_SCALING), selectVariants(s, o.variants), false);
  const started = Date.now();
  sweepStaleCgroups();

  const writer = await RunWriter.create(
    o.outDir ?? s.output.dir,
    `${s.name}-plan`,
    {
      scenario: `${s.name} (plan)`,
      variants: variants.flatMap((v) => peaks.map((p) => seriesName(v, p))),
      parallel: false,
      host: thisHost(),
    },
    o.outDir === undefined ? { within: process.cwd() } : {},
  );
  await writer.writeScenario(text, { ...scaleScenario(s, peaks.at(-1)!, SWEEP_SCALING), name: `${s.name} (plan)` });
  const runsDir = join(writer.dir, 'runs');
  const latency: LatencyFile = { unit: 'us', variants: {} };
  const perVariant = new Map<string, PlanVariant>(
    variants.map((v) => [v, { variant: v, points: [], fit: null, verify: null, notes: [] }]),
  );
  const notes: string[] = [];
  if (s.load.phases.some((p) => p.kind === 'pressure'))
    notes.push('pressure phases were left out of the sweep: it measures the unconstrained footprint');
  let status: PlanFile['status'] = 'complete';
  let failure: SimloadError | null = null;

  const plan = (): PlanFile => ({
    schema: PLAN_SCHEMA,
    v: PLAN_SCHEMA_VERSION,
    scenario: s.name,
    status,
    budgetBytes: o.budgetBytes,
    headroom: o.headroom,
    usableBytes: o.budgetBytes * (1 - o.headroom),
    peaks,
    startedAt: new Date(started).toISOString(),
    durationMs: Date.now() - started,
    variants: [...perVariant.values()],
    notes,
    model: serverModel(s.server),
  });

  const swept = await sweep({
    scenario: s,
    variants,
    peaks,
    writer,
    runsDir,
    latency,
    perVariant,
    signal,
    say,
    quiet: o.quiet,
  });
  if (swept) {
    failure = swept;
    status = 'failed';
  }
  if (signal.aborted && status === 'complete') status = 'interrupted';

  for (const pv of perVariant.values()) fitVariant(pv, o.budgetBytes, o.headroom);

  let verifyFailed = false;
  if (o.verify && status === 'complete') {
    // Every verify server runs under the budget as a hard limit, from its start: the limit travels in the
    // run's options; the same registry counts the OOM kills.
    const cgroups = new ServerCgroups({ runLimit: o.budgetBytes });
    for (const pv of perVariant.values()) {
      if (signal.aborted) break;
      pv.verify = await verifyVariant(s, pv, o.budgetBytes, runsDir, writer, latency, signal, say, o.quiet, cgroups);
      if (pv.verify.result !== 'passed') verifyFailed = true;
    }
    if (signal.aborted) status = 'interrupted';
  }

  const file = plan();
  await writer.writeLatency(latency);
  await writer.writeJson('plan.json', file);
  await writer.finish(
    status === 'complete' ? 'complete' : status,
    failure ? { code: failure.code, message: failure.message } : undefined,
  );
  try {
    await renderReport(writer.dir);
  } catch (err) {
    notes.push(`the report could not be drawn: ${(err as Error).message}`);
    await writer.writeJson('plan.json', plan());
  }
  out.write(formatPlanTable(file));
  out.write(`plan:    ${join(writer.dir, 'plan.json')}\nreport:  ${join(writer.dir, 'report.html')}\n`);
  if (failure) throw failure instanceof UsageError ? failure : new RunFailedError(writer.dir, failure);
  const exitCode = verdictOf(status === 'interrupted' ? 'interrupted' : verifyFailed ? 'expect-failed' : 'ok').exitCode;
  return { dir: writer.dir, plan: file, exitCode };
}

/** Fits one variant's points and applies the budget, with notes where the fit is weak or extrapolated. */
function fitVariant(pv: PlanVariant, budgetBytes: number, headroom: number): void {
  if (new Set(pv.points.map((p) => p.players)).size < 2) {
    pv.notes.push('fewer than two runs were measured: no fit');
    return;
  }
  pv.fit = fitCapacity(pv.points, budgetBytes, headroom);
  if (pv.fit.extrapolated) {
    pv.notes.push(
      `the recommendation is a straight-line extrapolation beyond 1.5x the largest measured run (${pv.fit.largestMeasured} players); --verify checks it`,
    );
  }
  if (pv.fit.lines.peakRss.r2 < 0.9)
    pv.notes.push(
      `peak Rss does not grow in a straight line with players (r² ${pv.fit.lines.peakRss.r2.toFixed(3)}); treat the recommendation with care`,
    );
}
