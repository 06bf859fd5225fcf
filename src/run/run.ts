// `simload run`: the composition. A run folder, a recorder, each variant in its own fresh server (one after
// another, or side by side with --parallel; a real skynet variant through the runner its caller gives,
// external-variants.ts), then latency.json, and the session's end (session/close.ts): the report, the summary
// table and the `expect:` checks. Interrupted or failed runs keep everything recorded so far on disk.

import { cpus } from 'node:os';
import type { Writable } from 'node:stream';
import type { SimloadError } from '../errors.js';
import { Progress } from '../driver/progress.js';
import { sweepStaleCgroups } from '../cgroup/memory-cgroup.js';
import { ServerCgroups } from '../cgroup/server-cgroup.js';
import type { Summary } from '../analysis/index.js';
import type { LatencyFile } from '../results/layout.js';
import type { LiveOutputs } from '../live/outputs.js';
import type { Scenario } from '../scenario/types.js';
import { RunSession } from '../session/session.js';
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
  // Before the folder: its write-error notice prints through it, even for the first file it writes.
  const progress = o.quiet ? null : new Progress({ out: process.stderr, phaseCount: s.load.phases.length });
  // Stops the variants on Ctrl-C, and when the results folder stops taking writes (nothing more could be kept).
  const session = await RunSession.open({
    scenario: s,
    text,
    variants: variants.map((v) => v.name),
    parallel,
    outDir: o.outDir ?? s.output.dir,
    ...(o.outDir === undefined ? { within: process.cwd() } : {}),
    ...(o.signal ? { signal: o.signal } : {}),
    live: o.live ?? null,
    notice: (line) => progress?.print(line),
  });
  const { writer, recorder, signal } = session;
  if (progress) recorder.on('sample', progress.onSample);

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
    ...(parallel ? { onFail: (err: SimloadError) => session.fail(err) } : {}),
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
    await session.stopRecording();
    progress?.close();
  }

  const latency: LatencyFile = { unit: 'us', variants: {} };
  // A skynet variant's clients keep no latency: its messages and errors are read from its samples.
  const real = new Set(variants.filter(isSkynetVariant).map((v) => v.name));
  for (const r of outcomes) if (!real.has(r.variant)) latency.variants[r.variant] = latencySummaries(r.phases, r.spans);
  await writer.writeLatency(latency).catch(() => undefined);
  const failed =
    outcomes.find((r) => r.status === 'failed') ?? (writer.writeError ? { error: writer.writeError } : undefined);
  const interrupted = session.interrupted || (!writer.writeError && outcomes.some((r) => r.status === 'interrupted'));
  const end = await session.close({
    status: failed ? 'failed' : interrupted ? 'interrupted' : 'complete',
    error: failed?.error ?? null,
    expect: s.expect,
    judgeValidity: true,
    ...(o.junit ? { junit: o.junit } : {}),
    out,
    quiet: o.quiet ?? false,
    throwOnFailure: true,
    paths: 'results',
  });
  return { dir: end.dir, summary: end.summary, exitCode: end.exitCode };
}
