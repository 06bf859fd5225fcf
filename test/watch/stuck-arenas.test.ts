// `simload watch --skynet-inject` on a real skynet (cached build from ../shared/vendor): per-arena dirty and
// muzzy pages land in the samples, and after a drop the watch names the arenas that kept their pages through the
// whole hold while others purged, with the free_first_workers that reproduces it. The stuck arena is made for
// real: skynet's socket thread reads a flood into buffers from its own arena, a busy service frees them at once,
// and nothing allocates much from that arena afterwards, while the holders' arenas stay busy and decay.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { mkdtemp } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import type { Sample } from '../../src/results/sample.js';
import { stuckArenas, STUCK_MIN_BYTES } from '../../src/watch/arena-decay.js';
import { runWatch } from '../../src/watch/run-watch.js';
import { markStream, sink, skynetSources, startWatchedSkynet } from './helpers.js';
import { ndjson } from '../helpers/ndjson.js';

const MiB = 1024 * 1024;
const FLOOD = 96 * MiB;
const skip = skynetSources ? false : 'no skynet/jemalloc source (../shared/vendor or SKYNET_SRC)';

/** Sends `bytes` to 127.0.0.1:port and closes. */
function flood(port: number, bytes: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const c = connect(port, '127.0.0.1', () => {
      const chunk = Buffer.alloc(MiB, 120);
      let left = bytes;
      const more = () => {
        while (left > 0) {
          left -= chunk.length;
          if (!c.write(chunk)) return void c.once('drain', more);
        }
        c.end(resolve);
      };
      more();
    });
    c.on('error', reject);
  });
}

async function watchOnce(withFlood: boolean): Promise<{ samples: Sample[]; text: string }> {
  const sk = await startWatchedSkynet({
    recipe: 'no-madv-free',
    conf: 'dirty_decay_ms:1000,muzzy_decay_ms:1000',
    start: 'stuck',
    env: { strings: 50000 },
  });
  const marks = markStream();
  const ctl = new AbortController();
  const out = sink();
  try {
    const watching = runWatch({
      pid: sk.pid,
      cmd: null,
      name: 'stuck',
      outDir: await mkdtemp(join(tmpdir(), 'simload-watch-')),
      intervalMs: 250,
      durationMs: null,
      console: { host: '127.0.0.1', port: sk.port },
      inject: true,
      memIntervalMs: null,
      onlineCmd: null,
      expect: [],
      marks,
      out,
      signal: ctl.signal,
    });
    await sk.printed('SIMLOAD sink ');
    const port = Number(/SIMLOAD sink (\d+)/.exec(sk.output())![1]);
    marks.mark('peak');
    await new Promise((r) => setTimeout(r, 1000));
    await flood(port, withFlood ? FLOOD : 1);
    await sk.printed('SIMLOAD freed');
    marks.mark('down');
    await new Promise((r) => setTimeout(r, 500));
    marks.mark('quiet');
    // Ten decay times: an arena that is touched purges all of it; one that is not keeps it.
    await new Promise((r) => setTimeout(r, 10_000));
    ctl.abort('SIGINT');
    assert.equal(await watching, 130);
  } finally {
    await sk.stop();
  }
  const dir = /folder (\S+)/.exec(out.text())![1]!;
  return { samples: ndjson<Sample>(await readFile(join(dir, 'samples.ndjson'), 'utf8')), text: out.text() };
}

test(
  "watch --skynet-inject: the arena that kept the flood through the hold is stuck, the holders' arenas purged",
  { skip, timeout: 300_000 },
  async () => {
    const { samples, text } = await watchOnce(true);
    const withArenas = samples.filter((s) => s.alloc?.arenas);
    assert.ok(withArenas.length >= 20, `${withArenas.length} samples with per-arena figures`);
    for (const s of withArenas) {
      const sum = (f: 'pdirty' | 'pmuzzy') => s.alloc!.arenas!.reduce((t, a) => t + a[f], 0);
      assert.deepEqual(
        [sum('pdirty'), sum('pmuzzy')],
        [s.alloc!.pdirty, s.alloc!.pmuzzy],
        `t=${s.t}: the arenas add up to the merged totals`,
      );
      assert.ok(
        !Object.keys(s.skynet!.mallctl!).some((k) => /^stats\.arenas\.\d+\.pdirty$/.test(k) && !k.includes('4096')),
        'per-arena figures are not repeated in mallctl',
      );
    }
    const r = stuckArenas(samples);
    assert.equal(r.unknown, null);
    assert.equal(r.drop, 'mark');
    const state = (st: string) => r.arenas.filter((a) => a.state === st);
    assert.ok(state('purged').length >= 1, JSON.stringify(r.arenas));
    assert.ok(r.stuck.length >= 1 && r.freeFirstWorkers === r.stuck.length, JSON.stringify(r.arenas));
    // The stuck arena holds the flood's buffers to the end, without a purge: at least half the flood, at most three
    // times it (a read that fills its buffer doubles the next one, so buffers run up to twice what they hold; measured
    // 190 MiB for 96).
    const most = Math.max(...state('stuck').map((a) => a.minBytes));
    assert.ok(
      most >= FLOOD / 2 && most <= FLOOD * 3,
      `stuck arena kept ${most / MiB} MiB of a ${FLOOD / MiB} MiB flood: ${JSON.stringify(r.arenas)}`,
    );
    assert.ok(state('stuck').every((a) => a.purges === 0 && a.minBytes >= STUCK_MIN_BYTES));
    assert.match(
      text,
      new RegExp(`stuck arenas: ${r.stuck.join(', ')} kept their pages .* free_first_workers: ${r.freeFirstWorkers} `),
    );
    // Without the operator's marks the drop is found where allocated fell, with the same verdict.
    const unmarked = samples.map((s) => ({
      ...s,
      phase: s.phase === 'baseline' ? 'baseline' : 'watch',
      phaseIndex: s.phaseIndex < 0 ? -1 : 0,
    }));
    const u = stuckArenas(unmarked);
    assert.equal(u.drop, 'allocated');
    assert.deepEqual(u.stuck, r.stuck);
  },
);

test(
  'watch --skynet-inject: without the flood no arena is stuck and free_first_workers 0 reproduces the server',
  { skip, timeout: 300_000 },
  async () => {
    const { samples, text } = await watchOnce(false);
    const r = stuckArenas(samples);
    assert.equal(r.unknown, null, JSON.stringify(r));
    assert.deepEqual([r.stuck, r.freeFirstWorkers], [[], 0], JSON.stringify(r.arenas));
    assert.ok(
      r.arenas.some((a) => a.state === 'purged'),
      JSON.stringify(r.arenas),
    );
    // The socket thread's arena may keep its console reads (measured 2 MiB): shown, not counted.
    for (const a of r.arenas.filter((x) => x.state === 'small'))
      assert.ok(a.purges === 0 && a.minBytes < 8 * MiB, JSON.stringify(a));
    assert.match(text, /stuck arenas: none; free_first_workers: 0 /);
  },
);
