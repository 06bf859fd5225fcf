import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { Progress } from '../../src/driver/progress.js';
import type { Sample } from '../../src/results/sample.js';

function sink(): { out: Writable & { isTTY?: boolean; columns?: number }; text: () => string } {
  let buf = '';
  const out = new Writable({
    write(c, _e, cb) {
      buf += String(c);
      cb();
    },
  });
  return { out, text: () => buf };
}

const sample = (t: number, online: number): Sample => ({
  v: 1,
  variant: 'madv-free',
  t,
  wall: 0,
  phaseIndex: 0,
  phase: 'ramp',
  target: online,
  online,
  proc: { rss: 512 * 2 ** 20, lazyFree: 64 * 2 ** 20, anonymous: 0, anonHugePages: 0, vmHWM: 0 },
  alloc: null,
  runtime: null,
});

test('plain mode (CI): a line per phase change and at most one per variant per period, no escapes', () => {
  const s = sink();
  const p = new Progress({ out: s.out, phaseCount: 4, live: false, plainEveryMs: 60_000 });
  p.onPhase({
    variant: 'madv-free',
    phaseIndex: 0,
    phase: 'ramp',
    label: '0:ramp',
    target: 0,
    toTarget: 8000,
    t: 0,
    wall: 0,
    durationMs: 30_000,
  });
  p.onSample(sample(1000, 10));
  p.onSample(sample(2000, 20)); // within the period: not printed
  p.close();
  const lines = s.text().trimEnd().split('\n');
  assert.deepEqual(lines, [
    'madv-free: ramp (1/4) for 30s, target 0 -> 8000 players',
    'madv-free: 1.0s ramp online 10/10 Rss 512.0 MiB LazyFree 64.0 MiB [no stats]',
  ]);
  assert.ok(!s.text().includes('\x1b'));
});

test('live mode (TTY): one line rewritten in place, cleared at the end', () => {
  const s = sink();
  const p = new Progress({ out: s.out, phaseCount: 4, live: true });
  p.onSample(sample(1000, 10));
  p.onSample(sample(2000, 20));
  p.close();
  const t = s.text();
  assert.equal(t.split('\n').length, 1, 'no new lines for samples');
  assert.ok(t.includes('\r\x1b[2Kmadv-free 2.0s ramp online 20/20'));
  assert.ok(t.endsWith('\r\x1b[2K'));
});

test('without a forced mode, the stream decides: live on a TTY, plain lines otherwise', () => {
  const tty = sink();
  tty.out.isTTY = true;
  const plain = sink();
  for (const s of [tty, plain]) {
    const p = new Progress({ out: s.out, phaseCount: 4 });
    p.onSample(sample(1000, 10));
    p.close();
  }
  assert.ok(tty.text().includes('\r\x1b[2Kmadv-free 1.0s ramp online 10/10'), JSON.stringify(tty.text()));
  assert.equal(plain.text(), 'madv-free: 1.0s ramp online 10/10 Rss 512.0 MiB LazyFree 64.0 MiB [no stats]\n');
});
