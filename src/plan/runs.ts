// One run of a plan (a sweep point or a verify run) through the run engine, and copying its samples into the
// plan folder under a series name. Shared by sweep.ts and verify.ts.

import type { ServerCgroups } from '../cgroup/server-cgroup.js';
import { ExitCode, SimloadError, UsageError } from '../errors.js';
import type { RunData, VariantSummary } from '../analysis/index.js';
import type { LatencyFile, RunEvent } from '../results/layout.js';
import type { RunWriter } from '../results/writer.js';
import { runScenario } from '../run/run.js';
import { RunFailedError } from '../session/session.js';
import type { Scenario } from '../scenario/types.js';

export interface OneRun {
  dir: string | null;
  summary: { variants: VariantSummary[] } | null;
  exitCode: number;
  error: SimloadError | null;
}

export async function runOnce(
  s: Scenario,
  variants: string[],
  outDir: string,
  signal: AbortSignal,
  quiet?: boolean,
  cgroups?: ServerCgroups,
): Promise<OneRun> {
  try {
    const r = await runScenario(s, null, {
      variants,
      outDir,
      signal,
      quiet: quiet ?? false,
      out: process.stderr,
      ...(cgroups ? { cgroups } : {}),
    });
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

/** Copies one variant of a run into the plan folder under another series name. */
export function copySeries(
  run: RunData,
  variant: string,
  series: string,
  writer: RunWriter,
  latency: LatencyFile,
): void {
  for (const x of run.samples) if (x.variant === variant) writer.appendSample({ ...x, variant: series });
  for (const e of run.events) {
    if ('variant' in e && e.variant === variant) writer.appendEvent({ ...e, variant: series } as RunEvent);
  }
  const l = run.latency?.variants[variant];
  if (l) latency.variants[series] = l;
}
