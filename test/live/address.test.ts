// `--metrics` / `--live` addresses: loopback unless a host is written out, bad input refused with exit 2 before
// anything runs, a port in use found before the run starts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { parseListenAddress } from '../../src/live/address.js';
import { SimloadError } from '../../src/errors.js';
import { tinyScenarioFile } from '../run/fixtures.js';

test('a port alone listens on loopback; a host written out is used and marked exposed beyond loopback', () => {
  assert.deepEqual(parseListenAddress('metrics', '9464'), { host: '127.0.0.1', port: 9464, exposed: false });
  assert.deepEqual(parseListenAddress('metrics', '127.0.0.1:0'), { host: '127.0.0.1', port: 0, exposed: false });
  assert.deepEqual(parseListenAddress('metrics', 'localhost:9464'), { host: '127.0.0.1', port: 9464, exposed: false });
  assert.deepEqual(parseListenAddress('live', '[::1]:8080'), { host: '::1', port: 8080, exposed: false });
  assert.deepEqual(parseListenAddress('live', '0.0.0.0:8080'), { host: '0.0.0.0', port: 8080, exposed: true });
  assert.deepEqual(parseListenAddress('live', '10.1.2.3:8080'), { host: '10.1.2.3', port: 8080, exposed: true });
});

test('an empty host, a name, a bad port are refused with ERR_USAGE (exit 2)', () => {
  for (const bad of [
    ':9464',
    '',
    'abc',
    '127.0.0.1:',
    '127.0.0.1:70000',
    'example.org:9464',
    '::1:9464',
    '127.0.0.1:9x',
  ]) {
    assert.throws(
      () => parseListenAddress('metrics', bad),
      (err: unknown) => err instanceof SimloadError && err.code === 'ERR_USAGE' && err.exitCode === 2,
      JSON.stringify(bad),
    );
  }
});

function simload(...args: string[]): { code: number | null; err: string } {
  const r = spawnSync(process.execPath, [join(process.cwd(), 'bin', 'simload.js'), ...args], {
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { code: r.status, err: r.stderr };
}

test(
  'simload run with --metrics :PORT or a port in use exits 2 before any run folder is made',
  { timeout: 120_000 },
  async () => {
    const { dir, file } = await tinyScenarioFile();
    const out = join(dir, 'results');
    const empty = simload('run', file, '--out', out, '--metrics', ':9464');
    assert.equal(empty.code, 2, empty.err);
    const busy = createServer();
    await new Promise<void>((r) => busy.listen({ host: '127.0.0.1', port: 0 }, () => r()));
    const port = (busy.address() as { port: number }).port;
    try {
      const taken = simload('run', file, '--out', out, '--live', `127.0.0.1:${port}`);
      assert.equal(taken.code, 2, taken.err);
      assert.match(taken.err, new RegExp(`--live 127\\.0\\.0\\.1:${port}`));
      // Both flags: the metrics endpoint opened first is closed again, the process exits.
      const both = simload('run', file, '--out', out, '--metrics', '127.0.0.1:0', '--live', `127.0.0.1:${port}`);
      assert.equal(both.code, 2, both.err);
    } finally {
      busy.close();
    }
    assert.ok(!existsSync(out) || readdirSync(out).length === 0, 'no run folder');
    const serve = simload('serve', '--variant', 'glibc', '--metrics', '9464');
    assert.equal(serve.code, 2, '--metrics without --record');
  },
);
