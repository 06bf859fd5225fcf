// The end of a recording, one way for `simload run`, `serve --record`, `watch` and the skynet side of `simload
// fidelity`: run.json's status, the report, whether the load was delivered (recorded in run.json), the summary
// table, the verdict (analysis/verdict.ts), JUnit, the live page, the folder's paths and the exit code. What
// differs between the commands is an option here: a watch asks for no load (not judged), prints more after its
// table and names its report before the verdict; fidelity's skynet side is judged by the pair's table, not here,
// and prints nothing; a failed `simload run` throws RunFailedError (its caller, plan, reads the folder).

import { join } from 'node:path';
import type { Writable } from 'node:stream';
import { ExitCode, SimloadError } from '../errors.js';
import type { LiveOutputs } from '../live/outputs.js';
import {
  checkExpectations,
  loadRun,
  summarize,
  SUMMARY_SCHEMA,
  SUMMARY_SCHEMA_VERSION,
  summaryValidity,
  verdict,
  type RunEnd,
  type RunVerdict,
  type Summary,
} from '../analysis/index.js';
import { formatSummaryTable, renderReport, writeJUnit } from '../report/index.js';
import { RESULT_FILES, type RunMeta } from '../results/layout.js';
import type { Sample } from '../results/sample.js';
import type { RunWriter } from '../results/writer.js';
import type { ExpectRule } from '../scenario/types.js';

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

export interface CloseOptions {
  /** How the recording ended. */
  status: RunEnd;
  /** Why it failed (run.json's `error`). */
  error?: SimloadError | null;
  /** The `expect:` thresholds (the scenario's, a watch's --expect). */
  expect: ExpectRule[];
  /** Whether the load asked for was delivered counts (recorded, in the verdict); false for a watch, which asks for none. */
  judgeValidity: boolean;
  /** --junit: the thresholds as JUnit XML, when they were checked. */
  junit?: string;
  /**
   * Where the table, the verdict and the paths go; none: nothing is printed (a side of `simload fidelity`, which
   * the pair's table judges).
   */
  out?: Writable;
  /** No table and no paths: only a verdict that something asked for did not hold. */
  quiet?: boolean;
  /** A failed run throws RunFailedError after its table (run) instead of ending with the `failed` verdict. */
  throwOnFailure?: boolean;
  /** What is printed after the table (watch: stuck arenas, attribution). */
  details?: (r: { summary: Summary; samples: Sample[] }) => string;
  /**
   * How the folder is named: `report` prints `report: <html>` (and `footer`) after the table, before the
   * verdict (serve, watch); `results` prints `results:` and `report:` after the verdict (run), unless quiet.
   */
  paths: 'report' | 'results';
  /** A line after `report: <html>` (watch: how many samples, how it ended). */
  footer?: string;
}

export interface SessionEnd {
  dir: string;
  summary: Summary;
  verdict: RunVerdict;
  exitCode: number;
}

export async function closeRun(writer: RunWriter, live: LiveOutputs | null, c: CloseOptions): Promise<SessionEnd> {
  const { status } = c;
  const print = (text: string) => c.out?.write(text);
  const dir = writer.dir;
  const error = c.error ?? null;
  // A refused run.json shows as the writer's write error, handled next.
  await writer.finish(status, error ? { code: error.code, message: error.message } : undefined).catch(() => undefined);
  if (writer.writeError) {
    // The folder takes no more files: show what was recorded, and end with the reason.
    const kept = await loadRun(dir)
      .then(summarize)
      .catch(() => null);
    if (kept && !c.quiet) print(formatSummaryTable(kept));
    throw new RunFailedError(dir, writer.writeError);
  }

  const { summary, samples } = await report(writer, status, error);
  const validity = c.judgeValidity ? summaryValidity(summary) : null;
  if (validity && status === 'complete') await writer.recordValidity(validity);
  if (!c.quiet) print(formatSummaryTable(summary));
  if (c.details) print(c.details({ summary, samples }));
  const html = join(dir, RESULT_FILES.report);
  if (c.paths === 'report') print(`report: ${html}\n${c.footer !== undefined ? `${c.footer}\n` : ''}`);
  if (error && c.throwOnFailure) throw new RunFailedError(dir, error);

  const v = verdict({ status, validity, expect: checkExpectations(summary, c.expect) });
  if (v.checked && c.junit) await writeJUnit(c.junit, v.checked);
  // Quiet: only what went wrong (the table, which also heads with the INVALID lines, is not printed).
  if (v.lines.length > 0 && (!c.quiet || v.outcome === 'invalid' || v.outcome === 'expect-failed'))
    print(v.lines.join('\n') + '\n');
  if (c.paths === 'results' && !c.quiet) print(`results: ${dir}\nreport:  ${html}\n`);
  await live?.finish({ outcome: v.outcome, exitCode: v.exitCode, lines: v.lines, report: html });
  return { dir, summary, verdict: v, exitCode: v.exitCode };
}

/** The report drawn into the folder; an interrupt before anything was sampled has none, and is still an interrupt. */
async function report(
  writer: RunWriter,
  status: RunEnd,
  error: SimloadError | null,
): Promise<{ summary: Summary; samples: Sample[] }> {
  try {
    const r = await renderReport(writer.dir);
    return { summary: r.summary, samples: r.run.samples };
  } catch (err) {
    const e =
      err instanceof SimloadError
        ? err
        : new SimloadError('ERR_REPORT', `the report failed: ${(err as Error).message}`, undefined, { cause: err });
    if (status !== 'interrupted') throw new RunFailedError(writer.dir, error ?? e);
    return { summary: emptySummary(writer.runMeta, `no report: ${e.message}`), samples: [] };
  }
}

function emptySummary(meta: Readonly<RunMeta>, note: string): Summary {
  return {
    schema: SUMMARY_SCHEMA,
    v: SUMMARY_SCHEMA_VERSION,
    scenario: meta.scenario,
    status: meta.status,
    startedAt: meta.startedAt,
    endedAt: meta.endedAt,
    variants: [],
    notes: [note],
  };
}
