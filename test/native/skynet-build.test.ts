// The real skynet peer: built from the vendored sources (cached by `npm run build:peers`), it runs Lua services
// with JE_MALLOC_CONF honoured, and its two recipes differ exactly in MADV_FREE.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, test } from 'node:test';
import { packageRoot } from '../../src/native/paths.js';
import { peerSources } from '../../src/native/peers.js';
import { needsVendor } from './vendor.js';
import { buildSkynet } from '../../src/native/skynet-build.js';
import { writeSkynetConfig } from '../../src/native/skynet-config.js';

const src = peerSources();
const fixtures = resolve(packageRoot, 'test', 'native', 'skynet');

async function runSmoke(root: string, conf: string): Promise<Record<string, number>> {
  const dir = mkdtempSync(join(tmpdir(), 'simload-skynet-'));
  const config = writeSkynetConfig(join(dir, 'config'), { root, start: 'smoke', serviceDirs: [fixtures], thread: 2 });
  const r = await new Promise<{ stdout: string; stderr: string; status: string }>((done) => {
    execFile(
      join(root, 'skynet'),
      [config],
      { cwd: root, env: { ...process.env, JE_MALLOC_CONF: conf }, encoding: 'utf8', timeout: 60_000 },
      (err, stdout, stderr) =>
        done({ stdout, stderr, status: err ? `exit ${String(err.code)}, signal ${String(err.signal)}` : 'exit 0' }),
    );
  });
  const line = /SIMLOAD (.*)/.exec(r.stdout)?.[1];
  assert.ok(line, `no result from skynet (${r.status}):\n${r.stdout}\n${r.stderr}`);
  return Object.fromEntries(
    line
      .split(' ')
      .map((kv) => kv.split('='))
      .map(([k, v]) => [k!, Number(v)]),
  );
}

// The two recipes side by side: two skynets, each its own process (what is read is its own /proc and jemalloc).
describe('skynet recipes', { concurrency: true }, () => {
  for (const recipe of ['madv-free', 'no-madv-free'] as const) {
    test(
      `skynet ${recipe}: a Lua service's freed memory ${recipe === 'madv-free' ? 'stays as LazyFree' : 'leaves Rss'}`,
      { skip: needsVendor('skynet'), timeout: 600_000 },
      async () => {
        const b = await buildSkynet({ skynetSrc: src!.skynet, jemallocSrc: src!.jemalloc, recipe });
        assert.match(b.jemallocVersion, /^5\.0\.1/);
        const m = await runSmoke(b.root, 'dirty_decay_ms:100,muzzy_decay_ms:-1');
        assert.equal(m['dirty_decay_ms'], 100, 'JE_MALLOC_CONF reached jemalloc');
        assert.equal(m['muzzy_decay_ms'], -1);
        const freed = m['peak']! - m['rss']! + m['lazyfree']!;
        assert.ok(
          freed > 50e6,
          `about 100 MB of Lua strings were built and dropped; Rss-LazyFree fell by only ${freed}`,
        );
        if (recipe === 'madv-free')
          assert.ok(
            m['lazyfree']! >= 0.5 * freed,
            `LazyFree ${m['lazyfree']} is under half of the ${freed} bytes freed`,
          );
        else assert.ok(m['lazyfree']! < 0.02 * freed, `LazyFree ${m['lazyfree']} on a build without MADV_FREE`);
      },
    );
  }
});
