// Downsampling of a long watch's older samples, and the rotation that moves them out of samples.ndjson: peaks,
// phase starts and service readings survive; a crash mid-rotation leaves nothing read twice.
import assert from 'node:assert/strict';
import { mkdtemp, readFile, writeFile, appendFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { gzipSync, gunzipSync } from 'node:zlib';
import { loadRun } from '../../src/analysis/load.js';
import { downsample } from '../../src/results/downsample.js';
import { rotateSamples } from '../../src/results/rotate.js';
import { RunWriter } from '../../src/results/writer.js';
import type { Sample } from '../../src/results/sample.js';
import { ndjson } from '../helpers/ndjson.js';
import { watchSample as sample } from '../helpers/sample.js';

const MiB = 2 ** 20;

/** 10 minutes at 1 s: Rss 100 MiB with a one-sample spike to 900 at 123 s and a dip to 10 at 400 s, a mark at 300 s. */
function tenMinutes(): Sample[] {
  const out: Sample[] = [];
  for (let t = 0; t < 600_000; t += 1000) {
    const rss = t === 123_000 ? 900 : t === 400_000 ? 10 : 100 + (t % 7000) / 1000;
    const marked = t >= 300_000 ? { phaseIndex: 0, phase: 'peak' } : {};
    const reading = t % 10_000 === 5000 ? { skynet: { consoleMs: 1, luaTotal: t, luaServices: 1, top: [] } } : {};
    out.push(sample(t, rss, { ...marked, ...reading }));
  }
  return out;
}

test('downsample per minute: the spike, the dip, the phase start and the last reading of each minute survive', () => {
  const all = tenMinutes();
  const kept = downsample(all, 60_000);
  assert.ok(kept.length <= 10 * 5, `${kept.length} of ${all.length}`);
  assert.ok(
    kept.some((s) => s.t === 123_000 && s.proc.rss === 900 * MiB),
    'the spike',
  );
  assert.ok(
    kept.some((s) => s.t === 400_000 && s.proc.rss === 10 * MiB),
    'the dip',
  );
  assert.ok(
    kept.some((s) => s.t === 300_000 && s.phase === 'peak'),
    'the first sample of the marked phase',
  );
  for (let m = 0; m < 10; m++) {
    const inMinute = kept.filter((s) => Math.floor(s.t / 60_000) === m);
    assert.equal(inMinute.at(-1)!.t, m * 60_000 + 59_000, `minute ${m} keeps its last sample`);
    assert.ok(
      inMinute.some((s) => s.t === m * 60_000 + 55_000 && s.skynet?.luaTotal !== null),
      `minute ${m} keeps its last reading`,
    );
  }
  assert.ok(
    kept.every((s, i) => i === 0 || s.t > kept[i - 1]!.t),
    'time order, no duplicates',
  );
});

test('rotation: the head moves to the older file downsampled, the rest stays; a crash before the rename reads nothing twice', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'simload-rotate-'));
  const all = tenMinutes();
  await writeFile(
    join(dir, 'run.json'),
    JSON.stringify({
      tool: 'simload',
      version: '0',
      scenario: 'w',
      startedAt: new Date(1e12).toISOString(),
      endedAt: null,
      status: 'running',
      variants: ['w'],
      parallel: false,
      host: { cpus: 1, memBytes: 1 },
    }),
  );
  await writeFile(join(dir, 'samples.ndjson'), all.map((s) => JSON.stringify(s) + '\n').join(''));
  const r = await rotateSamples(dir, 240_000, 60_000);
  assert.equal(r.moved, 240);
  assert.equal(r.kept, 360);
  assert.equal(r.firstT, 240_000);
  const full = ndjson<Sample>(await readFile(join(dir, 'samples.ndjson'), 'utf8'));
  assert.deepEqual(full, all.slice(240));
  const older = ndjson<Sample>(gunzipSync(await readFile(join(dir, 'samples-older.ndjson.gz'))).toString('utf8'));
  assert.deepEqual(older, downsample(all.slice(0, 240), 60_000));
  const run = await loadRun(dir);
  assert.equal(run.samples.length, older.length + 360);
  assert.equal(Math.max(...run.samples.map((s) => s.proc.rss)), 900 * MiB, 'the spike is read from the older file');
  assert.deepEqual(run.older, { samples: older.length, untilMs: 239_000 });

  // A crash after the older file got its member but before samples.ndjson was replaced: the head is in both.
  await appendFile(
    join(dir, 'samples-older.ndjson.gz'),
    gzipSync(
      downsample(all.slice(240, 300), 60_000)
        .map((s) => JSON.stringify(s) + '\n')
        .join(''),
    ),
  );
  const twice = await loadRun(dir);
  assert.equal(twice.samples.length, run.samples.length, 'the full-resolution copy is read, the older one left out');
  // A member cut off mid-write: what it holds up to the cut.
  const gz = await readFile(join(dir, 'samples-older.ndjson.gz'));
  await writeFile(join(dir, 'samples-older.ndjson.gz'), gz.subarray(0, gz.length - 20));
  const cut = await loadRun(dir);
  assert.equal(cut.samples.length, run.samples.length);
});

test('a writer keeping 1 s of samples: samples appended while a rotation runs are held and land after it, none lost', async () => {
  const base = await mkdtemp(join(tmpdir(), 'simload-rotate-'));
  const w = await RunWriter.create(base, 'w', {
    scenario: 'w',
    variants: ['w'],
    parallel: false,
    host: { cpus: 1, memBytes: 1, kernel: 'k', node: process.version },
  });
  await w.keepFull({ fullMs: 1000, periodMs: 100, firstT: null });
  const all: Sample[] = [];
  for (let i = 0; i < 5000; i++) {
    const s = sample(i * 10, i === 777 ? 900 : 100 + (i % 50));
    all.push(s);
    w.appendSample(s);
    if (i % 50 === 0) w.flush();
    if (i % 20 === 0) await new Promise((r) => setTimeout(r, 1)); // lets a rotation run between appends
  }
  await w.finish('complete');
  const full = ndjson<Sample>(await readFile(join(w.dir, 'samples.ndjson'), 'utf8'));
  const older = ndjson<Sample>(gunzipSync(await readFile(join(w.dir, 'samples-older.ndjson.gz'))).toString('utf8'));
  const last = all.at(-1)!.t;
  assert.deepEqual(
    full,
    all.filter((s) => s.t >= full[0]!.t),
    'samples.ndjson holds every sample from its first on, in order',
  );
  // At least the window; at most what came in while the last rotation ran (one runs at a time), far below 50 s.
  assert.ok(last - full[0]!.t >= 1000 && last - full[0]!.t < 5000, `it spans ${last - full[0]!.t} ms of 50 s`);
  assert.deepEqual(
    older,
    downsample(
      all.filter((s) => s.t < full[0]!.t),
      100,
    ),
    'the rest, downsampled per 100 ms over all rotations',
  );
  assert.ok(older.some((s) => s.proc.rss === 900 * MiB));
  const meta = JSON.parse(await readFile(join(w.dir, 'run.json'), 'utf8')) as { retention?: unknown; status: string };
  assert.deepEqual(meta.retention, { fullMs: 1000, periodMs: 100 });
  assert.equal(meta.status, 'complete');
});
