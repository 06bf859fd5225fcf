// `simload plan`: runs the scenario's shape at a few peaks, fits how memory grows with players, and applies a
// budget. The plan folder is itself a run folder: every sweep run's samples are copied in under the series
// name variant@players, so report.html shows all of them next to the plan section (report/plan-section.ts).
// --verify then runs the recommended count under the budget as a hard cgroup limit.

import { cpus, release, totalmem } from 'node:os';
import { relative, join } from 'node:path';
import type { Writable } from 'node:stream';
import { ExitCode, SimloadError, UsageError } from '../errors.js';
import { loadRun, renderReport, type RunData, type VariantSummary } from '../report/index.js';
import type { LatencyFile, RunEvent } from '../results/layout.js';
import { RunWriter } from '../results/writer.js';
import { RunFailedError, runScenario } from '../run/run.js';
import { preflight, selectVariants } from '../run/preflight.js';
import type { Scenario } from '../scenario/types.js';
import { formatBytes } from '../units.js';
import { oomKillsFor, setRunMemoryLimit } from './attach.js';
import { detectMemoryCgroup, sweepStaleCgroups } from './cgroup.js';
import { fitCapacity } from './fit.js';
import { scaleScenario, scenarioPeak, sweepPeaks } from './scale.js';
import { formatPlanTable } from './table.js';
import { PLAN_SCHEMA, PLAN_SCHEMA_VERSION, type PlanFile, type PlanMeasuredPoint, type PlanVariant, type PlanVerify } from './types.js';

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
  if (!(o.budgetBytes > 0)) throw new UsageError('ERR_PLAN_BUDGET', `--budget: expected a size above 0 such as 4GiB, got ${o.budgetBytes}`);
  if (!(o.headroom >= 0 && o.headroom < 1)) throw new UsageError('ERR_PLAN_HEADROOM', `--headroom: expected a fraction from 0% to below 100%, got ${o.headroom}`);
  if (!Number.isInteger(o.points) || o.points < 2) throw new UsageError('ERR_PLAN_POINTS', `--points: expected a whole number of at least 2 (a line needs two points), got ${o.points}`);
  if (o.maxPlayers !== undefined && (!Number.isInteger(o.maxPlayers) || o.maxPlayers < o.points)) {
    throw new UsageError('ERR_PLAN_MAX_PLAYERS', `--max-players: expected a whole number of at least --points (${o.points}), got ${o.maxPlayers}`);
  }
  if (scenarioPeak(s) <= 0) {
    throw new UsageError('ERR_PLAN_SCENARIO', `${s.file ?? s.name}: load.phases has no ramp to an absolute player count, so there is no peak to scale`);
  }
  if (o.verify) {
    const d = detectMemoryCgroup();
    if (!d.available) throw new UsageError('ERR_PLAN_VERIFY', `--verify needs a memory cgroup to hold the server to the budget, and ${d.reason}`);
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
  const peaks = sweepPeaks(o.maxPlayers ?? scenarioPeak(s), o.points);
  const sweepOpts = { shortenHolds: true, dropPressure: true };
  // The largest run's checks (builds, open files) before a plan folder exists.
  await preflight(scaleScenario(s, peaks.at(-1)!, sweepOpts), selectVariants(s, o.variants), false);
  const started = Date.now();
  sweepStaleCgroups();

  const writer = await RunWriter.create(o.outDir ?? s.output.dir, `${s.name}-plan`, {
    scenario: `${s.name} (plan)`,
    variants: variants.flatMap((v) => peaks.map((p) => seriesName(v, p))),
    parallel: false,
    host: { cpus: cpus().length, memBytes: totalmem(), kernel: release(), node: process.version },
  });
  await writer.writeScenario(text, { ...scaleScenario(s, peaks.at(-1)!, sweepOpts), name: `${s.name} (plan)` });
  const runsDir = join(writer.dir, 'runs');
  const latency: LatencyFile = { unit: 'us', variants: {} };
  const perVariant = new Map<string, PlanVariant>(variants.map((v) => [v, { variant: v, points: [], fit: null, verify: null, notes: [] }]));
  const notes: string[] = [];
  if (s.load.phases.some((p) => p.kind === 'pressure')) notes.push('pressure phases were left out of the sweep: it measures the unconstrained footprint');
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
  });

  say(`${peaks.length} runs at peaks ${peaks.join(', ')} for ${variants.join(', ')} (holds shortened); folder ${writer.dir}`);
  for (const [i, peak] of peaks.entries()) {
    if (signal.aborted) break;
    say(`run ${i + 1}/${peaks.length}: peak ${peak} players`);
    const r = await runOnce(scaleScenario(s, peak, sweepOpts), variants, runsDir, signal, o.quiet);
    if (r.error) {
      failure = r.error;
      status = 'failed';
    }
    if (!r.dir) break;
    const run = await loadRun(r.dir);
    for (const v of variants) {
      const vs = r.summary?.variants.find((x) => x.variant === v) ?? null;
      if (!vs || r.error || r.exitCode === ExitCode.interrupted) continue;
      // A run that did not deliver its load says nothing about what that load costs: not a point of the fit.
      if (vs.validity && !vs.validity.valid) {
        perVariant.get(v)!.notes.push(`peak ${peak}: the run is INVALID, not used for the fit (${vs.validity.reasons[0]})`);
        continue;
      }
      const point = pointOf(run, vs, peak, relative(writer.dir, r.dir));
      perVariant.get(v)!.points.push(point);
      copySeries(run, v, point.series, writer, latency);
    }
    if (r.error || r.exitCode === ExitCode.interrupted) break;
  }
  if (signal.aborted && status === 'complete') status = 'interrupted';

  for (const pv of perVariant.values()) {
    if (new Set(pv.points.map((p) => p.players)).size < 2) {
      pv.notes.push('fewer than two runs were measured: no fit');
      continue;
    }
    pv.fit = fitCapacity(pv.points, o.budgetBytes, o.headroom);
    if (pv.fit.extrapolated) {
      pv.notes.push(`the recommendation is a straight-line extrapolation beyond 1.5x the largest measured run (${pv.fit.largestMeasured} players); --verify checks it`);
    }
    if (pv.fit.lines.peakRss.r2 < 0.9) pv.notes.push(`peak Rss does not grow in a straight line with players (r² ${pv.fit.lines.peakRss.r2.toFixed(3)}); treat the recommendation with care`);
  }

  let verifyFailed = false;
  if (o.verify && status === 'complete') {
    setRunMemoryLimit(o.budgetBytes);
    try {
      for (const pv of perVariant.values()) {
        if (signal.aborted) break;
        pv.verify = await verifyVariant(s, pv, o.budgetBytes, runsDir, writer, latency, signal, say, o.quiet);
        if (pv.verify.result !== 'passed') verifyFailed = true;
      }
    } finally {
      setRunMemoryLimit(null);
    }
    if (signal.aborted) status = 'interrupted';
  }

  const file = plan();
  await writer.writeLatency(latency);
  await writer.writeJson('plan.json', file);
  await writer.finish(status === 'complete' ? 'complete' : status, failure ? { code: failure.code, message: failure.message } : undefined);
  try {
    await renderReport(writer.dir);
  } catch (err) {
    notes.push(`the report could not be drawn: ${(err as Error).message}`);
    await writer.writeJson('plan.json', plan());
  }
  out.write(formatPlanTable(file));
  out.write(`plan:    ${join(writer.dir, 'plan.json')}\nreport:  ${join(writer.dir, 'report.html')}\n`);
  if (failure) throw failure instanceof UsageError ? failure : new RunFailedError(writer.dir, failure);
  const exitCode = status === 'interrupted' ? ExitCode.interrupted : verifyFailed ? ExitCode.checkFailed : ExitCode.ok;
  return { dir: writer.dir, plan: file, exitCode };
}

interface OneRun {
  dir: string | null;
  summary: { variants: VariantSummary[] } | null;
  exitCode: number;
  error: SimloadError | null;
}

async function runOnce(s: Scenario, variants: string[], outDir: string, signal: AbortSignal, quiet?: boolean): Promise<OneRun> {
  try {
    const r = await runScenario(s, null, { variants, outDir, signal, quiet: quiet ?? false, out: process.stderr });
    return { dir: r.dir, summary: r.summary, exitCode: r.exitCode, error: null };
  } catch (err) {
    if (err instanceof UsageError) {
      // Refused before it started (e.g. more players than open files allow): no folder, nothing measured.
      return { dir: null, summary: null, exitCode: ExitCode.usage, error: err };
    }
    if (err instanceof RunFailedError) {
      const cause = err.cause instanceof SimloadError ? err.cause : err;
      // A failed run gives no point for the fit; its folder is kept and named in the error.
      return { dir: err.dir, summary: null, exitCode: ExitCode.runtime, error: cause };
    }
    throw err;
  }
}

export function seriesName(variant: string, players: number, suffix = ''): string {
  return `${variant}@${players}${suffix}`;
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

/** Copies one variant of a run into the plan folder under another series name. */
function copySeries(run: RunData, variant: string, series: string, writer: RunWriter, latency: LatencyFile): void {
  for (const x of run.samples) if (x.variant === variant) writer.appendSample({ ...x, variant: series });
  for (const e of run.events) {
    if ('variant' in e && e.variant === variant) writer.appendEvent({ ...e, variant: series } as RunEvent);
  }
  const l = run.latency?.variants[variant];
  if (l) latency.variants[series] = l;
}

async function verifyVariant(
  s: Scenario,
  pv: PlanVariant,
  budget: number,
  runsDir: string,
  writer: RunWriter,
  latency: LatencyFile,
  signal: AbortSignal,
  say: (l: string) => void,
  quiet?: boolean,
): Promise<PlanVerify> {
  const players = pv.fit?.recommended ?? null;
  const base = { limitBytes: budget, oomKills: 0, peakRss: null, peakUnreclaimable: null, run: null, series: null };
  if (players === null || players <= 0) {
    return { ...base, players: players ?? 0, result: 'skipped', detail: 'no recommendation to verify' };
  }
  say(`verify ${pv.variant}: ${players} players under a hard limit of ${formatBytes(budget)}`);
  const before = oomKillsFor(pv.variant);
  const r = await runOnce(scaleScenario(s, players, { shortenHolds: true, dropPressure: true }), [pv.variant], runsDir, signal, quiet);
  const oomKills = oomKillsFor(pv.variant) - before;
  const series = seriesName(pv.variant, players, '-verify');
  let peakRss: number | null = null;
  let peakUnreclaimable: number | null = null;
  let applied = false;
  let skippedWhy: string | null = null;
  if (r.dir) {
    const run = await loadRun(r.dir);
    copySeries(run, pv.variant, series, writer, latency);
    const samples = run.samples.filter((x) => x.variant === pv.variant);
    if (samples.length) {
      peakRss = Math.max(...samples.map((x) => x.proc.rss));
      peakUnreclaimable = Math.max(...samples.map((x) => x.proc.rss - x.proc.lazyFree));
    }
    for (const e of run.events) {
      if (e.type !== 'pressure' || e.variant !== pv.variant) continue;
      if (e.action === 'apply') applied = true;
      if (e.action === 'skipped') skippedWhy = e.detail;
    }
  }
  const rel = r.dir ? relative(writer.dir, r.dir) : null;
  const common = { ...base, players, oomKills, peakRss, peakUnreclaimable, run: rel, series: r.dir ? series : null };
  if (r.exitCode === ExitCode.interrupted) return { ...common, result: 'skipped', detail: 'interrupted' };
  if (r.exitCode === ExitCode.usage) return { ...common, result: 'skipped', detail: `the verify run could not start: ${r.error?.message ?? 'refused'}` };
  if (!applied) {
    return { ...common, result: 'skipped', detail: `the server did not run under the limit: ${skippedWhy ?? 'the run engine did not put the server into a memory cgroup (plan/attach.ts attachServer was not called)'}` };
  }
  if (oomKills > 0) return { ...common, result: 'failed', detail: `the kernel OOM-killed the server ${oomKills} time(s) under ${formatBytes(budget)}` };
  if (r.error) return { ...common, result: 'failed', detail: `the run failed: ${r.error.message}` };
  // A run that did not deliver its load did not show that the count fits: never a pass.
  const validity = r.summary?.variants.find((x) => x.variant === pv.variant)?.validity;
  if (validity && !validity.valid) return { ...common, result: 'failed', detail: `the run did not deliver its load (INVALID): ${validity.reasons[0]}` };
  return { ...common, result: 'passed', detail: `survived the whole run under ${formatBytes(budget)} (peak Rss ${peakRss === null ? '?' : formatBytes(peakRss)})` };
}
