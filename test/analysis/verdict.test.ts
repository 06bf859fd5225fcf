// The end-of-run verdict shared by run, serve --record and watch: every combination of how the run ended, its
// validity and its thresholds, with the exit code, the outcome and the lines printed, written out by hand.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ExitCode } from '../../src/errors.js';
import type { ExpectResult } from '../../src/analysis/expect.js';
import type { Summary } from '../../src/analysis/summary.js';
import { invalidLines } from '../../src/report/table.js';
import { summaryValidity, verdict, type RunEnd, type VerdictInput } from '../../src/analysis/verdict.js';
import type { Outcome } from '../../src/verdict.js';

const result = (pass: boolean, source = pass ? 'retention < 0.5' : 'peak_rss < 1MiB'): ExpectResult => ({
  rule: { variant: null, metric: source.split(' ')[0]!, op: '<', value: pass ? 0.5 : 2 ** 20, source },
  variant: 'v',
  actual: pass ? 0.25 : 2 ** 30,
  pass,
});
const VALIDITY: Record<'judged' | 'valid' | 'invalid', VerdictInput['validity']> = {
  judged: null,
  valid: { valid: true, reasons: [] },
  invalid: { valid: false, reasons: ['v: phase 1:hold: short', 'v: 3 errors'] },
};
const EXPECT: Record<'none' | 'pass' | 'fail', ExpectResult[]> = {
  none: [],
  pass: [result(true)],
  fail: [result(true), result(false)],
};

// status, validity, thresholds -> outcome, exit code, what is printed: 'none', 'not checked', 'expect'
// (the thresholds' lines), 'INVALID' (the INVALID lines), 'expect+INVALID'.
type Printed = 'none' | 'not checked' | 'expect' | 'INVALID' | 'expect+INVALID';
const TABLE: Array<[RunEnd, keyof typeof VALIDITY, keyof typeof EXPECT, Outcome, number, Printed]> = [
  // failed beats everything; nothing is judged
  ['failed', 'judged', 'none', 'failed', 3, 'none'],
  ['failed', 'judged', 'pass', 'failed', 3, 'not checked'],
  ['failed', 'judged', 'fail', 'failed', 3, 'not checked'],
  ['failed', 'valid', 'none', 'failed', 3, 'none'],
  ['failed', 'valid', 'pass', 'failed', 3, 'not checked'],
  ['failed', 'valid', 'fail', 'failed', 3, 'not checked'],
  ['failed', 'invalid', 'none', 'failed', 3, 'none'],
  ['failed', 'invalid', 'pass', 'failed', 3, 'not checked'],
  ['failed', 'invalid', 'fail', 'failed', 3, 'not checked'],
  // interrupted beats invalid and the thresholds
  ['interrupted', 'judged', 'none', 'interrupted', 130, 'none'],
  ['interrupted', 'judged', 'pass', 'interrupted', 130, 'not checked'],
  ['interrupted', 'judged', 'fail', 'interrupted', 130, 'not checked'],
  ['interrupted', 'valid', 'none', 'interrupted', 130, 'none'],
  ['interrupted', 'valid', 'pass', 'interrupted', 130, 'not checked'],
  ['interrupted', 'valid', 'fail', 'interrupted', 130, 'not checked'],
  ['interrupted', 'invalid', 'none', 'interrupted', 130, 'none'],
  ['interrupted', 'invalid', 'pass', 'interrupted', 130, 'not checked'],
  ['interrupted', 'invalid', 'fail', 'interrupted', 130, 'not checked'],
  // complete: invalid beats the thresholds (never 0), a failed threshold beats ok; a watch is not judged
  ['complete', 'judged', 'none', 'ok', 0, 'none'],
  ['complete', 'judged', 'pass', 'ok', 0, 'expect'],
  ['complete', 'judged', 'fail', 'expect-failed', 1, 'expect'],
  ['complete', 'valid', 'none', 'ok', 0, 'none'],
  ['complete', 'valid', 'pass', 'ok', 0, 'expect'],
  ['complete', 'valid', 'fail', 'expect-failed', 1, 'expect'],
  ['complete', 'invalid', 'none', 'invalid', 4, 'INVALID'],
  ['complete', 'invalid', 'pass', 'invalid', 4, 'expect+INVALID'],
  ['complete', 'invalid', 'fail', 'invalid', 4, 'expect+INVALID'],
];

const INVALID_LINES = [
  'INVALID RUN: the load asked for was not delivered, so these numbers do not measure it (2 reason(s))',
  '  v: phase 1:hold: short',
  '  v: 3 errors',
];

function printed(kind: Printed, status: RunEnd, expect: ExpectResult[]): string[] {
  const failed = expect.filter((r) => !r.pass).length;
  const head = failed
    ? `expect: ${failed} of ${expect.length} threshold(s) failed`
    : `expect: all ${expect.length} threshold(s) passed`;
  // Failed thresholds first, each with its actual value.
  const rows = [...expect.filter((r) => !r.pass), ...expect.filter((r) => r.pass)].map((r) =>
    r.pass
      ? 'pass  v: retention < 0.5  (actual 25.0% = 0.250)'
      : 'FAIL  v: peak_rss < 1MiB  (actual 1.0 GiB = 1073741824)',
  );
  switch (kind) {
    case 'none':
      return [];
    case 'not checked':
      return [`expect: not checked, ${status === 'failed' ? 'the run failed' : 'the run was interrupted'}`];
    case 'expect':
      return [head, ...rows];
    case 'INVALID':
      return INVALID_LINES;
    case 'expect+INVALID':
      return [head, ...rows, ...INVALID_LINES];
  }
}

test('every combination of end, validity and thresholds: outcome, exit code and lines, in precedence order', () => {
  assert.equal(TABLE.length, 3 * 3 * 3, 'the table covers every combination');
  assert.equal(new Set(TABLE.map((r) => r.slice(0, 3).join())).size, TABLE.length, 'each combination once');
  const codes: Record<Outcome, number> = {
    failed: ExitCode.runtime,
    interrupted: ExitCode.interrupted,
    invalid: ExitCode.invalid,
    'expect-failed': ExitCode.checkFailed,
    ok: ExitCode.ok,
  };
  for (const [status, validity, expect, outcome, exitCode, kind] of TABLE) {
    const input: VerdictInput = { status, validity: VALIDITY[validity], expect: [...EXPECT[expect]] };
    const v = verdict(input);
    const where = `${status}/${validity}/${expect}`;
    assert.equal(v.outcome, outcome, where);
    assert.equal(v.exitCode, exitCode, where);
    assert.equal(codes[outcome], exitCode, `${where}: the outcome's code`);
    assert.deepEqual(v.lines, printed(kind, status, input.expect), where);
    // Thresholds count only on a complete run.
    assert.deepEqual(v.checked, status === 'complete' ? input.expect : null, where);
  }
});

test("the INVALID lines are the table's head; a summary without `valid` (v1) counts as valid", () => {
  const summary = { valid: false, invalid: VALIDITY['invalid']!.reasons } as unknown as Summary;
  assert.deepEqual(invalidLines(summary), INVALID_LINES);
  assert.deepEqual(summaryValidity(summary), { valid: false, reasons: VALIDITY['invalid']!.reasons });
  assert.deepEqual(summaryValidity({} as Summary), { valid: true, reasons: [] });
  assert.deepEqual(invalidLines({} as Summary), []);
  assert.equal(
    verdict({ status: 'complete', validity: summaryValidity({} as Summary), expect: [] }).exitCode,
    ExitCode.ok,
  );
});
