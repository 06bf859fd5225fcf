// `simload run`: the composition. A run folder, a recorder, each variant in its own fresh server (one after
// another, or side by side with --parallel; a real skynet variant through the runner its caller gives,
// external-variants.ts), then latency.json, the report, the summary table and the `expect:` checks. Interrupted
// or failed runs keep everything recorded so far on disk.

import { cpus, totalmem, release } from 'node:os';
import { join } from 'node:path';
import type { Writable } from 'node:stream';
import { ExitCode, SimloadError } from '../errors.js';
import { Progress } from '../driver/progress.js';
import { Recorder } from '../recorder/recorder.js';
import { loadRun } from '../analysis/load.js';
import { sweepStaleCgroups } from '../cgroup/memory-cgroup.js';
import { ServerCgroups } from '../cgroup/server-cgroup.js';
import { summarize } from '../analysis/summary.js';
import {
  checkExpectations,
  SUMMARY_SCHEMA,
  SUMMARY_SCHEMA_VERSION,
  summaryValidity,
  verdict,
  type Summary,
} from '../analysis/index.js';
import { formatSummaryTable, renderReport, writeJUnit } from '../report/index.js';
import { RESULT_FILES, type LatencyFile, type RunMeta } from '../results/layout.js';
import { RunWriter } from '../results/writer.js';
import type { LiveOutputs } from '../live/outputs.js';
import type { Scenario } from '../scenario/types.js';
import { formatDuration } from '../units.js';
import { latencySummaries } from './latency.js';
import { preflight, selectVariants, totalDurationMs } from './preflight.js';
import { requireResolved } from '../scenario/unresolved.js';
import { runVariant, type VariantOutcome } from './variant.js';
import { isSkynetVariant, requireRunner, type ExternalVariantRunner } from './external-variants.js';

export interface RunOptions {
  parallel?: boolean;
  variants?: string[];
  outDir?: string;
  signal?: AbortSignal;
  /** No progress and no table. */
  quiet?: boolean;
  junit?: string;
  /** Where the table and messages go (default stdout); progress always goes to stderr. */
  out?: Writable;
  /**
   * The servers' memory cgroups. Its runLimit holds every server to a hard limit for the whole run (plan
   * --verify, which keeps it to count OOM kills). Default: a fresh one without a limit.
   */
  cgroups?: ServerCgroups;
  /** `--metrics`, `--live`: follow the run folder as it is written, end with the verdict (docs/live.md). */
  live?: LiveOutputs | null;
  /** Runs the scenario's real skynet variants (`skynet:`); without it a run of one is refused (exit 2). */
  skynet?: ExternalVariantRunner;
}

/** A run that could not complete: its folder holds what was recorded. Exit 3. */
export class RunFailedError extends SimloadError {
  constructor(
    readonly dir: string,
    cause: SimloadError,
  ) {
    super(cause.code, `${cause.message}\nresults so far: ${dir}`, ExitCode.runtime, { cause });
    this.name = 'RunFailedError';
  }
}

export async function runScenario(
  s: Scenario,
  text: string | null,
  o: RunOptions,
): Promise<{ dir: string; summary: Summary; exitCode: number }> {
  const parallel = o.parallel ?? false;
  const variants = selectVariants(s, o.variants);
  requireResolved(s, variants);
  const skynet = requireRunner(s, variants, o.skynet);
  const simulated = variants.filter((v) => !isSkynetVariant(v));
  await preflight(s, simulated, parallel);
  if (skynet)
    await skynet.prepare(s, variants.filter(isSkynetVariant), (line) =>
      o.quiet ? undefined : process.stderr.write(`${line}\n`),
    );
  // A simload killed with SIGKILL leaves its memory cgroups: swept at every run's start, not only by the next
  // pressure run (cheap: a readdir of the cgroup root; nothing when cgroups are unavailable).
  sweepStaleCgroups();
  const out = o.out ?? process.stdout;
  const userSignal = o.signal ?? new AbortController().signal;
  // Stops the variants on Ctrl-C, and when the results folder stops taking writes (nothing more could be kept).
  const stop = new AbortController();
  const signal = stop.signal;
  const onUser = () => stop.abort(userSignal.reason);
  if (userSignal.aborted) onUser();
  else userSignal.addEventListener('abort', onUser, { once: true });

  // Before the writer: its failure listener prints through it, even for the first file it writes.
  const progress = o.quiet ? null : new Progress({ out: process.stderr, phaseCount: s.load.phases.length });
  const writer = await RunWriter.create(
    o.outDir ?? s.output.dir,
    s.name,
    {
      scenario: s.name,
      variants: variants.map((v) => v.name),
      parallel,
      host: { cpus: cpus().length, memBytes: totalmem(), kernel: release(), node: process.version },
    },
    o.outDir === undefined ? { within: process.cwd() } : {},
  );
  writer.onWriteError((err) => {
    progress?.print(`${err.message}: stopping the run, keeping what was written`);
    stop.abort(err);
  });
  await writer.writeScenario(text, s);
  o.live?.attach(writer, s);
  const recorder = new Recorder({ writer, intervalMs: s.record.intervalMs });
  if (progress) recorder.on('sample', progress.onSample);
  const onAbort = () => {
    if (writer.writeError) return;
    writer.appendEvent({ type: 'interrupted', wall: Date.now(), signal: String(userSignal.reason ?? 'abort') });
    progress?.print(
      `interrupted (${String(userSignal.reason ?? 'abort')}): stopping bots and servers, keeping the results`,
    );
  };
  userSignal.addEventListener('abort', onAbort, { once: true });

  const each = formatDuration(totalDurationMs(s));
  if (parallel && simulated.length > 1) {
    progress?.print(
      `${s.name}: ${simulated.length} variants side by side for ~${each}; they share ${cpus().length} CPUs, so latency and decay timing affect each other`,
    );
    if (skynet) progress?.print(`${s.name}: then the real skynet variant(s), one after another`);
  } else {
    progress?.print(
      `${s.name}: ${variants.length} variant(s) one after another, ~${each} each; results in ${writer.dir}`,
    );
  }

  const runId = writer.dir
    .split('/')
    .pop()!
    .replace(/[^A-Za-z0-9-]/g, '');
  // With --parallel, one variant's failure stops its siblings: their numbers would be cut short anyway.
  const cgroups = o.cgroups ?? new ServerCgroups();
  const ctx = {
    scenario: s,
    writer,
    recorder,
    progress,
    signal,
    runId,
    cgroups,
    live: o.live ?? null,
    ...(parallel ? { onFail: (err: SimloadError) => stop.abort(err) } : {}),
  };
  const outcomes: VariantOutcome[] = [];
  // With --parallel the simulated servers run side by side, then each skynet alone: skynet's driver appends to the
  // folder's files itself, and a shared CPU would blur the comparison.
  const queue = parallel ? variants.filter(isSkynetVariant) : variants;
  try {
    if (parallel) outcomes.push(...(await Promise.all(simulated.map((v) => runVariant(v, ctx)))));
    for (const v of queue) {
      if (outcomes.some((r) => r.status !== 'complete')) break;
      outcomes.push(await (skynet && isSkynetVariant(v) ? skynet.run(v, ctx) : runVariant(v, ctx)));
    }
  } finally {
    userSignal.removeEventListener('abort', onAbort);
    userSignal.removeEventListener('abort', onUser);
    await recorder.close();
    progress?.close();
  }

  const latency: LatencyFile = { unit: 'us', variants: {} };
  // A skynet variant's clients keep no latency: its messages and errors are read from its samples.
  const real = new Set(variants.filter(isSkynetVariant).map((v) => v.name));
  for (const r of outcomes) if (!real.has(r.variant)) latency.variants[r.variant] = latencySummaries(r.phases, r.spans);
  await writer.writeLatency(latency).catch(() => undefined);
  const failed =
    outcomes.find((r) => r.status === 'failed') ?? (writer.writeError ? { error: writer.writeError } : undefined);
  const interrupted = userSignal.aborted || (!writer.writeError && outcomes.some((r) => r.status === 'interrupted'));
  const status = failed ? 'failed' : interrupted ? 'interrupted' : 'complete';
  await writer
    .finish(status, failed?.error ? { code: failed.error.code, message: failed.error.message } : undefined)
    .catch(() => undefined);
  if (writer.writeError) {
    // The folder takes no more files: show what was recorded, from memory, and end with the reason.
    const kept = await loadRun(writer.dir)
      .then(summarize)
      .catch(() => null);
    if (kept && !o.quiet) out.write(formatSummaryTable(kept));
    throw new RunFailedError(writer.dir, writer.writeError);
  }

  let summary: Summary;
  try {
    summary = (await renderReport(writer.dir)).summary;
  } catch (err) {
    const e =
      err instanceof SimloadError
        ? err
        : new SimloadError('ERR_REPORT', `the report failed: ${(err as Error).message}`, undefined, { cause: err });
    if (!interrupted || failed) throw new RunFailedError(writer.dir, failed?.error ?? e);
    // Interrupted before anything was sampled: nothing to report, still an interrupt.
    summary = emptySummary(s.name, writer.runMeta, `no report: ${e.message}`);
  }
  const validity = summaryValidity(summary);
  if (!interrupted && !failed) await writer.recordValidity(validity);
  if (!o.quiet) out.write(formatSummaryTable(summary));
  if (failed?.error) throw new RunFailedError(writer.dir, failed.error);

  const v = verdict({ status, validity, expect: checkExpectations(summary, s.expect) });
  if (v.checked && o.junit) await writeJUnit(o.junit, v.checked);
  // Quiet: only what went wrong (the table, which also heads with the INVALID lines, is not printed).
  if (v.lines.length > 0 && (!o.quiet || v.outcome === 'invalid' || v.outcome === 'expect-failed'))
    out.write(v.lines.join('\n') + '\n');
  const exitCode = v.exitCode;
  if (!o.quiet) out.write(`results: ${writer.dir}\nreport:  ${writer.dir}/report.html\n`);
  await o.live?.finish({ outcome: v.outcome, exitCode, lines: v.lines, report: join(writer.dir, RESULT_FILES.report) });
  return { dir: writer.dir, summary, exitCode };
}

function emptySummary(scenario: string, meta: RunMeta, note: string): Summary {
  return {
    schema: SUMMARY_SCHEMA,
    v: SUMMARY_SCHEMA_VERSION,
    scenario,
    status: meta.status,
    startedAt: meta.startedAt,
    endedAt: meta.endedAt,
    variants: [],
    notes: [note],
  };
}
