// `report --from/--to` bounds.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseWindowBound } from '../../src/analysis/window.js';

test('window bounds: ISO times, +D from the start, -D before the end; anything else is refused', () => {
  assert.deepEqual(parseWindowBound('+30m'), { kind: 'start', ms: 1_800_000 });
  assert.deepEqual(parseWindowBound('90s'), { kind: 'start', ms: 90_000 });
  assert.deepEqual(parseWindowBound('-2h'), { kind: 'end', ms: 7_200_000 });
  assert.deepEqual(parseWindowBound('2026-12-07T10:00:00Z'), { kind: 'wall', ms: Date.UTC(2026, 11, 7, 10) });
  for (const bad of ['yesterday', '', '-', '+2x', '2026-13-45T99:00:00Z'])
    assert.equal(parseWindowBound(bad), null, bad);
});
