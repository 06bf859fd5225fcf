// The end-of-run verdict of `simload run`, `simload serve --record` and `simload watch`, and of `simload report`
// on the folder one of them wrote: how the run ended, whether it delivered its load and what its `expect:`
// thresholds said, as one outcome (verdict.ts: its exit code) and the lines printed after the summary table.
// Pure (docs/report.md, "Exit codes and the verdict").
//
// Precedence, strongest first: failed (3) > interrupted (130) > invalid (4) > a threshold failed (1) > ok (0).
// A run that did not complete judges no threshold (its numbers are cut short); a complete run that did not
// deliver its load is never 0, whatever the thresholds said.

import type { RunMeta } from '../results/layout.js';
import type { Scenario } from '../scenario/types.js';
import { verdictOf, type Verdict } from '../verdict.js';
import { formatExpectations, type ExpectResult } from './expect.js';
import type { Summary } from './summary.js';
import { isWatchFolder } from './watch-folder.js';

export type RunEnd = 'complete' | 'interrupted' | 'failed';

export interface VerdictInput {
  /** How the run ended (run.json's status). */
  status: RunEnd;
  /**
   * Did the run deliver the load it asked for (summary.valid, summary.invalid)? null: not judged, for a watch,
   * which asks for no load (its foreign process has no allocator stats, which would read as undelivered).
   */
  validity: { valid: boolean; reasons: string[] } | null;
  /** The `expect:` thresholds checked against the summary ([] when there are none). */
  expect: ExpectResult[];
}

/** A run's verdict; its lines are printed after the summary table: the thresholds, then the INVALID lines. */
export interface RunVerdict extends Verdict {
  /** The thresholds that count: null when the run did not complete (not checked). */
  checked: ExpectResult[] | null;
}

export function verdict(i: VerdictInput): RunVerdict {
  if (i.status !== 'complete') {
    const why = i.status === 'failed' ? 'the run failed' : 'the run was interrupted';
    return { ...verdictOf(i.status, i.expect.length > 0 ? [`expect: not checked, ${why}`] : []), checked: null };
  }
  const lines = i.expect.length > 0 ? formatExpectations(i.expect).trimEnd().split('\n') : [];
  // Not a measurement of the load asked for: never 0, whatever the thresholds said.
  if (i.validity && !i.validity.valid)
    return { ...verdictOf('invalid', [...lines, ...invalidRunLines(i.validity.reasons)]), checked: i.expect };
  return { ...verdictOf(i.expect.some((r) => !r.pass) ? 'expect-failed' : 'ok', lines), checked: i.expect };
}

/** First thing a reader sees of a run that did not deliver its load (the table's head), and the verdict's last. */
export function invalidRunLines(reasons: string[]): string[] {
  return [
    `INVALID RUN: the load asked for was not delivered, so these numbers do not measure it (${reasons.length} reason(s))`,
    ...reasons.map((r) => `  ${r}`),
  ];
}

/** A summary's validity as the verdict takes it (v1 summaries, without `valid`, count as valid). */
export function summaryValidity(s: Summary): { valid: boolean; reasons: string[] } {
  return { valid: s.valid !== false, reasons: s.invalid ?? [] };
}

/**
 * The verdict's input for a folder read back (`simload report DIR`), so it ends as the run that recorded it did.
 * run.json saying `running`, or missing, means the recording process died before it could say how it ended
 * (kill -9, power loss) or is still writing: not complete, so judged as failed (no threshold checked), with a
 * note saying which. A folder `simload watch` wrote is not judged for load, as the watch itself was not.
 */
export function folderVerdictInput(
  meta: Pick<RunMeta, 'status'> | null,
  scenario: Pick<Scenario, 'server'> | null,
  summary: Summary,
  expect: ExpectResult[],
): { input: VerdictInput; note: string | null } {
  const recorded = meta?.status;
  const status: RunEnd =
    recorded === 'complete' || recorded === 'interrupted' || recorded === 'failed' ? recorded : 'failed';
  const note =
    recorded === undefined
      ? 'run.json is missing: the run did not record how it ended; read as failed'
      : recorded === 'running'
        ? 'run.json still says running: the run was killed before it ended (or is still running); read as failed'
        : null;
  return { input: { status, validity: isWatchFolder(scenario) ? null : summaryValidity(summary), expect }, note };
}
