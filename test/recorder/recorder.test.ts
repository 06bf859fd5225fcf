// The recorder against real child processes over real IPC: /proc readings of the child, stats from the child.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Recorder, type SampleSource } from '../../src/recorder/recorder.js';
import type { Sample } from '../../src/results/sample.js';
import { RunWriter } from '../../src/results/writer.js';
import { loadRun } from '../../src/analysis/load.js';
import { renderReport } from '../../src/report/render.js';
import type { ServerStats } from '../../src/server/control.js';

// A child that answers `stats` over IPC with its own process.memoryUsage() (or never answers, when mute).
const CHILD = `
const mute = process.argv.includes('mute');
let online = 0;
process.on('message', (m) => {
  if (m.op === 'online') { online = m.n; return; }
  if (mute) return;
  const mu = process.memoryUsage();
  process.send({ id: m.id, stats: {
    alloc: { allocated: mu.heapUsed, active: 0, metadata: 0, resident: 0, mapped: 0, retained: 0, pdirty: 0, pmuzzy: 0 },
    runtime: { rss: mu.rss, heapTotal: mu.heapTotal, heapUsed: mu.heapUsed, external: mu.external, arrayBuffers: mu.arrayBuffers },
    online, services: 1, mailboxMax: 0, counters: { messages: 7, errors: 0, logins: online, logouts: 0, connections: online }, jsBytesPerPlayer: 0 } });
});
setInterval(() => {}, 1000);
process.send({ ready: true });
`;

async function child(mute = false): Promise<{ proc: ChildProcess; source: SampleSource }> {
  const proc = spawn(process.execPath, ['-e', CHILD, '--', ...(mute ? ['mute'] : [])], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  await once(proc, 'message'); // ready: its IPC listener is set up
  let next = 1;
  const source: SampleSource = {
    pid: proc.pid!,
    stats: (timeoutMs = 1000) =>
      new Promise<ServerStats>((resolve, reject) => {
        const id = next++;
        const timer = setTimeout(() => {
          proc.off('message', onMsg);
          reject(new Error('timeout'));
        }, timeoutMs);
        const onMsg = (m: { id: number; stats: ServerStats }) => {
          if (m.id !== id) return;
          clearTimeout(timer);
          proc.off('message', onMsg);
          resolve(m.stats);
        };
        proc.on('message', onMsg);
        // A child killed before its exit is seen fails the write (EPIPE, closed channel): with a callback that
        // is this request's error, not an 'error' event on the child that would end the test process.
        proc.send({ op: 'stats', id }, (err) => {
          if (!err) return;
          clearTimeout(timer);
          proc.off('message', onMsg);
          reject(err);
        });
      }),
  };
  return { proc, source };
}

test(
  'samples every interval, appends to the run folder, takes a last sample on untrack',
  { timeout: 30_000 },
  async () => {
    const base = await mkdtemp(join(tmpdir(), 'simload-rec-'));
    const writer = await RunWriter.create(base, 'rec', {
      scenario: 'rec',
      variants: ['a', 'mute'],
      parallel: true,
      host: { cpus: 2, memBytes: 1, kernel: 'k', node: process.version },
    });
    const a = await child();
    const m = await child(true);
    // A generous timeout for the child that answers (a loaded CI machine), a short one for the mute one.
    const rec = new Recorder({ writer, intervalMs: 100, statsTimeoutMs: 2000 });
    const recMute = new Recorder({ writer, intervalMs: 100, statsTimeoutMs: 50 });
    const seen: Sample[] = [];
    rec.on('sample', (s: Sample) => seen.push(s));
    recMute.on('sample', (s: Sample) => seen.push(s));
    try {
      let phase = { phaseIndex: -1, phase: 'baseline', target: 0 };
      const start = Date.now();
      rec.track('a', a.source, () => phase, start);
      recMute.track('mute', m.source, () => phase, start);
      await sleep(350);
      a.proc.send({ op: 'online', n: 5 });
      phase = { phaseIndex: 0, phase: 'ramp', target: 5 };
      await sleep(350);
      const now = await rec.sampleNow('a');
      assert.equal(now?.online, 5);
      assert.equal(now?.phase, 'ramp');
      await rec.untrack('a');
      assert.equal(await rec.sampleNow('a'), null, 'untracked');
      await rec.close();
      await recMute.close();
      await writer.finish('complete');

      const run = await loadRun(writer.dir);
      assert.equal(run.samples.length, seen.length, 'every emitted sample is in samples.ndjson');
      const as = run.samples.filter((s) => s.variant === 'a');
      // ~700 ms at 100 ms + the first at once + sampleNow + the last on untrack.
      assert.ok(as.length >= 4 && as.length <= 11, `${as.length} samples of a`);
      for (let i = 1; i < as.length; i++) assert.ok(as[i]!.t >= as[i - 1]!.t, 't never goes back');
      for (const s of as) {
        assert.ok(s.proc.rss > 10 * 1024 * 1024, 'a real Rss of a node process');
        assert.ok(s.alloc && s.alloc.allocated > 0 && s.runtime && s.runtime.rss > 0, 'stats arrived');
        assert.equal(s.server?.messages, 7);
      }
      assert.equal(as[0]!.online, 0);
      assert.equal(as.at(-1)!.online, 5);
      assert.deepEqual([...new Set(as.map((s) => s.phase))], ['baseline', 'ramp']);

      const ms = run.samples.filter((s) => s.variant === 'mute');
      assert.ok(ms.length >= 4, `${ms.length} samples of the mute child`);
      // What the recorder wrote is enough for the report.
      const { summary } = await renderReport(writer.dir);
      assert.deepEqual(
        summary.variants.map((v) => v.variant),
        ['a', 'mute'],
      );
      assert.equal(summary.variants[0]!.peakOnline, 5);
      assert.equal(summary.variants[1]!.samplesWithoutAlloc, ms.length);
      for (const s of ms) {
        assert.equal(s.alloc, null, 'no stats in time: alloc null');
        assert.ok(s.proc.rss > 10 * 1024 * 1024, 'but /proc was still read');
      }
    } finally {
      a.proc.kill('SIGKILL');
      m.proc.kill('SIGKILL');
    }
    await rm(base, { recursive: true, force: true });
  },
);

test("a process that dies is reported 'gone' and no longer sampled", { timeout: 30_000 }, async () => {
  const base = await mkdtemp(join(tmpdir(), 'simload-rec-'));
  const writer = await RunWriter.create(base, 'gone', {
    scenario: 'gone',
    variants: ['a'],
    parallel: false,
    host: { cpus: 2, memBytes: 1, kernel: 'k', node: process.version },
  });
  const a = await child();
  const rec = new Recorder({ writer, intervalMs: 50 });
  const gone = once(rec, 'gone');
  let emitted = 0;
  rec.on('sample', () => emitted++);
  rec.track('a', a.source, () => ({ phaseIndex: 0, phase: 'hold', target: 0 }));
  await sleep(200);
  a.proc.kill('SIGKILL');
  const [info] = (await gone) as [{ variant: string; pid: number }];
  assert.equal(info.variant, 'a');
  assert.equal(info.pid, a.proc.pid);
  const before = emitted;
  assert.ok(before >= 1);
  await sleep(300);
  await rec.close();
  await writer.finish('failed');
  assert.equal(emitted, before, 'no samples after the process went');
  assert.equal((await loadRun(writer.dir)).samples.length, before);
  await rm(base, { recursive: true, force: true });
});
