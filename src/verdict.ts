// How a command that judges something ends, in one vocabulary: an outcome, its exit code and the lines that say
// why. A run is judged by analysis/verdict.ts (run, serve --record, watch, report), a candidate against its
// baseline by analysis/compare.ts (compare), an allocator's purging by probe/purging.ts (probe --expect). Bad
// input and errors do not come here: they are thrown with their own code (errors.ts). Pure.

import { ExitCode } from './errors.js';

/**
 * Strongest first. `expect-failed`: what was asked for did not hold (an `expect:` threshold, the purging
 * `probe --expect` named, a candidate no worse than its baseline); `invalid`: what was measured is not the load
 * asked for.
 */
export type Outcome = 'failed' | 'interrupted' | 'invalid' | 'expect-failed' | 'ok';

/** The exit code of each outcome (errors.ts says what each code means). */
export const OUTCOME_EXIT_CODES: Readonly<Record<Outcome, ExitCode>> = {
  failed: ExitCode.runtime,
  interrupted: ExitCode.interrupted,
  invalid: ExitCode.invalid,
  'expect-failed': ExitCode.checkFailed,
  ok: ExitCode.ok,
};

export interface Verdict {
  outcome: Outcome;
  exitCode: ExitCode;
  /** What the command prints after its results, in order; empty when there is nothing to add. */
  lines: string[];
}

export function verdictOf(outcome: Outcome, lines: string[] = []): Verdict {
  return { outcome, exitCode: OUTCOME_EXIT_CODES[outcome], lines };
}
