// `simload probe` through the real CLI: the madv-free build purges lazily, the no-madv-free build eagerly.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import type { ProbeResult } from '../../src/probe/probe.js';
import { requireBuilds } from '../alloc/builds.js';
import { simloadCli } from '../helpers/cli.js';

requireBuilds('madv-free', 'no-madv-free');
const MiB = 1024 * 1024;
const DEBIAN = '/usr/lib/x86_64-linux-gnu/libjemalloc.so.2';

async function probe(...args: string[]): Promise<ProbeResult> {
  const r = await simloadCli(['probe', '--json', ...args], { timeoutMs: 60_000 });
  assert.equal(r.code, 0, `simload probe ${args.join(' ')} exited ${r.code}: ${r.stderr}`);
  return JSON.parse(r.stdout) as ProbeResult;
}

// The probes side by side: each is a child process of its own that reads its own /proc and steps its own decay
// for a fixed time; a few hundred MiB each.
describe('simload probe', { concurrency: true }, () => {
  test('madv-free is lazy: at least half of the freed bytes stay in Rss as LazyFree', async () => {
    const r = await probe('--variant', 'madv-free');
    const m = r.measurement;
    assert.equal(r.confSource, 'probe-default');
    assert.equal(r.mallocConf, 'dirty_decay_ms:100,muzzy_decay_ms:-1');
    assert.ok(m.freedBytes >= 250 * MiB, `freed ${m.freedBytes}`);
    assert.ok(
      m.afterAlloc.rss - m.before.rss >= 0.9 * m.freedBytes,
      'every byte written: Rss grew by what was allocated',
    );
    assert.ok(m.afterFree.lazyFree >= 0.5 * m.freedBytes, `LazyFree ${m.afterFree.lazyFree} of ${m.freedBytes} freed`);
    assert.ok(m.afterFree.pmuzzy >= 0.5 * m.freedBytes, 'jemalloc counts them as muzzy');
    assert.equal(r.verdict.purging, 'lazy');
  });

  test('no-madv-free is eager: LazyFree under 1% of the freed bytes and Rss falls by at least 80% of them', async () => {
    const r = await probe('--variant', 'no-madv-free', '--expect', 'eager');
    const m = r.measurement;
    assert.ok(m.freedBytes >= 250 * MiB);
    assert.ok(m.afterFree.lazyFree < 0.01 * m.freedBytes, `LazyFree ${m.afterFree.lazyFree}`);
    assert.ok(
      m.afterAlloc.rss - m.afterFree.rss >= 0.8 * m.freedBytes,
      `Rss ${m.afterAlloc.rss} -> ${m.afterFree.rss}`,
    );
    assert.equal(r.verdict.purging, 'eager');
  });

  test('the same madv-free build under a user conf without muzzy decay is eager, and the output says whose conf it was', async () => {
    const r = await probe(
      '--variant',
      'madv-free',
      '--malloc-conf',
      'dirty_decay_ms:100,muzzy_decay_ms:0',
      '--size',
      '64MiB',
    );
    assert.equal(r.confSource, 'user');
    assert.equal(r.measurement.opts.muzzyDecayMs, 0);
    assert.ok(r.measurement.afterFree.lazyFree < 0.01 * r.measurement.freedBytes);
    assert.equal(r.verdict.purging, 'eager');
  });

  test('--expect exits 1 when the verdict differs; the text output names the conf and the verdict', async () => {
    const r = await simloadCli(['probe', '--variant', 'no-madv-free', '--size', '32MiB', '--expect', 'lazy'], {
      timeoutMs: 60_000,
    });
    assert.equal(r.code, 1);
    assert.match(r.stdout, /malloc_conf: dirty_decay_ms:100,muzzy_decay_ms:-1 \(probe default/);
    assert.match(r.stdout, /verdict: EAGER/);
    assert.match(r.stderr, /expected lazy purging, measured eager/);
  });

  test(
    "a user's own unprefixed library (Debian's libjemalloc.so.2, preloaded in the child) is probed too",
    { skip: !existsSync(DEBIAN) && 'apt-get install libjemalloc2 to run this' },
    async () => {
      const r = await probe('--lib', DEBIAN, '--prefix', 'none', '--size', '128MiB');
      assert.equal(r.prefix, '');
      assert.equal(r.libPath, DEBIAN);
      assert.match(r.measurement.version ?? '', /^5\./);
      assert.equal(r.measurement.opts.muzzyDecayMs, -1, 'MALLOC_CONF reached the preloaded library');
      assert.ok(r.measurement.afterFree.lazyFree >= 0.5 * r.measurement.freedBytes);
      assert.equal(r.verdict.purging, 'lazy');
    },
  );
});
