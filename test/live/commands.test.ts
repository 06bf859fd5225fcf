// --metrics on `simload serve --record` (a real client logs in) and on `simload watch` (a real process): the
// endpoint serves the command's samples while it runs, and closes when it ends.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Sample } from '../../src/results/sample.js';
import { Client } from '../server/client.js';
import { freePort } from './prometheus.js';
import { readNdjson } from '../helpers/ndjson.js';

const BIN = fileURLToPath(new URL('../../../bin/simload.js', import.meta.url));

function simload(args: string[]) {
  const p = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  p.stdout.on('data', (d) => (out += String(d)));
  p.stderr.on('data', (d) => (out += String(d)));
  const exited = new Promise<number | null>((r) => p.once('exit', (c) => r(c)));
  return { p, exited, out: () => out };
}

/** Polls /metrics until `line` (a series, labels as written) has a value `ok` accepts; returns it. */
async function metric(url: string, series: string, ok: (v: number) => boolean, ms = 30_000): Promise<number> {
  const until = Date.now() + ms;
  for (;;) {
    const text = await fetch(url).then(
      (r) => r.text(),
      () => '',
    );
    const m = new RegExp(`^${series.replace(/[{}[\]().*+?^$|\\]/g, '\\$&')} (\\S+)$`, 'm').exec(text);
    if (m && ok(Number(m[1]))) return Number(m[1]);
    if (Date.now() > until) throw new Error(`${series} not seen at ${url}:\n${text.slice(0, 2000)}`);
    await new Promise((r) => setTimeout(r, 150));
  }
}

function samplesOf(out: string): Sample[] {
  const run = join(out, readdirSync(out)[0]!);
  return readNdjson<Sample>(join(run, 'samples.ndjson'));
}

test(
  'serve --record --metrics: the online player the swarm logged in, then the endpoint closes with the recording',
  { timeout: 90_000 },
  async () => {
    const dir = await mkdtemp(join(tmpdir(), 'simload-live-serve-'));
    const file = join(dir, 'rec.yaml');
    await writeFile(
      file,
      'name: rec\nserver:\n  threads: 1\n  state:\n    objects: 4\n    sizes: [{ size: 1KiB, weight: 1 }]\nvariants:\n  - name: glibc\n    build: glibc\n' +
        'load:\n  rate: 1\n  phases:\n    - ramp: { to: 1, over: 1s }\n    - hold: 3s\nrecord:\n  interval: 250ms\n  baseline: 500ms\n',
    );
    const port = await freePort();
    const url = `http://127.0.0.1:${port}/metrics`;
    const s = simload([
      'serve',
      '--config',
      file,
      '--variant',
      'glibc',
      '--record',
      '--out',
      join(dir, 'out'),
      '--metrics',
      `127.0.0.1:${port}`,
    ]);
    let client: Client | null = null;
    try {
      const until = Date.now() + 30_000;
      while (!/simload serve: (ws:\/\/\S+)/.test(s.out()) && Date.now() < until)
        await new Promise((r) => setTimeout(r, 100));
      const ws = /simload serve: (ws:\/\/\S+)/.exec(s.out())![1]!;
      assert.equal(
        await metric(url, 'simload_online_players{variant="glibc"}', () => true),
        0,
        'the baseline: nobody online',
      );
      client = await Client.open(ws);
      assert.equal((await client.login('live-a'))?.t, 'ok');
      await metric(url, 'simload_online_players{variant="glibc"}', (v) => v === 1);
      await metric(url, 'simload_server_logins_total{variant="glibc"}', (v) => v === 1);
      client.ws.close();
      client = null;
      assert.equal(await s.exited, 0, s.out());
    } finally {
      client?.ws.close();
      if (s.p.exitCode === null && s.p.signalCode === null) s.p.kill('SIGKILL');
    }
    assert.equal(
      await fetch(url).then(
        () => 'answered',
        () => 'closed',
      ),
      'closed',
    );
    assert.ok(samplesOf(join(dir, 'out')).some((x) => x.online === 1));
  },
);

test('watch --metrics: the watched process is served while the watch goes on', { timeout: 60_000 }, async () => {
  const dir = await mkdtemp(join(tmpdir(), 'simload-live-watch-'));
  const port = await freePort();
  const url = `http://127.0.0.1:${port}/metrics`;
  const w = simload([
    'watch',
    '--cmd',
    'sleep 60',
    '--duration',
    '4s',
    '--interval',
    '200ms',
    '--out',
    join(dir, 'out'),
    '--metrics',
    `127.0.0.1:${port}`,
  ]);
  try {
    const rss = await metric(url, 'simload_rss_bytes{variant="sleep"}', (v) => v > 0);
    assert.equal(await w.exited, 0, w.out());
    assert.ok(
      samplesOf(join(dir, 'out')).some((x) => x.proc.rss === rss),
      `served Rss ${rss} is a sample of the folder`,
    );
  } finally {
    if (w.p.exitCode === null && w.p.signalCode === null) w.p.kill('SIGKILL');
  }
});
