import { test } from 'node:test';
import assert from 'node:assert/strict';
import { hasShape, registerShape, registeredShapes, shapeFor, type PhaseContext } from '../../src/driver/shape.js';
import '../../src/driver/shapes/index.js';
import { SimloadError } from '../../src/errors.js';

const ctx = (startCount: number, peak: number) => ({ startCount, peak }) as unknown as PhaseContext;

test('ramp moves linearly from the start count to its end, and to a fraction of the peak', () => {
  const ramp = shapeFor('ramp');
  const up = { kind: 'ramp' as const, to: { count: 1000 }, durationMs: 10_000 };
  assert.deepEqual(
    [0, 2500, 5000, 10_000, 12_000].map((t) => ramp.target(up, t, ctx(0, 0))),
    [0, 250, 500, 1000, 1000],
  );
  const down = { kind: 'ramp' as const, to: { fractionOfPeak: 0.33 }, durationMs: 4000 };
  assert.deepEqual(
    [0, 2000, 4000].map((t) => ramp.target(down, t, ctx(1000, 1000))),
    [1000, 665, 330],
  );
  assert.equal(ramp.durationMs(down), 4000);
});

test('hold keeps the count; unknown shapes are a clear error; pressure is registered', () => {
  const hold = shapeFor('hold');
  assert.equal(hold.target({ kind: 'hold', durationMs: 1 }, 500, ctx(777, 1000)), 777);
  assert.throws(
    () => shapeFor('spike'),
    (e: unknown) => e instanceof SimloadError && e.code === 'ERR_NO_SHAPE' && /known: .*ramp/.test(e.message),
  );
  assert.ok(hasShape('pressure'));
});

test('registerShape validates and replaces by kind', () => {
  assert.throws(() => registerShape({ kind: 'x' } as never), TypeError);
  registerShape({ kind: 'flat-test' as never, durationMs: () => 1, target: () => 42 });
  assert.ok(registeredShapes().includes('flat-test'));
  assert.equal(shapeFor('flat-test').target({ kind: 'hold', durationMs: 1 }, 0, ctx(0, 0)), 42);
});
