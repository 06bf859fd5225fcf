// The verdict vocabulary (src/verdict.ts): each outcome exits with the code docs/report.md and the commands'
// --help state, written out here by hand.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { OUTCOME_EXIT_CODES, verdictOf } from '../src/verdict.js';

test('each outcome has its stable exit code', () => {
  assert.deepEqual({ ...OUTCOME_EXIT_CODES }, { failed: 3, interrupted: 130, invalid: 4, 'expect-failed': 1, ok: 0 });
});

test('a verdict carries its outcome, the exit code and its lines', () => {
  assert.deepEqual(verdictOf('invalid', ['a', 'b']), { outcome: 'invalid', exitCode: 4, lines: ['a', 'b'] });
  assert.deepEqual(verdictOf('ok'), { outcome: 'ok', exitCode: 0, lines: [] });
});
