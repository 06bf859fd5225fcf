import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { RunWriter } from '../../src/results/writer.js';
import type { RunMeta } from '../../src/results/layout.js';
import { loadRun } from '../../src/analysis/load.js';
import type { Sample } from '../../src/results/sample.js';
import { readNdjson } from '../helpers/ndjson.js';

const meta = {
  scenario: 'unit',
  variants: ['a'],
  parallel: false,
  host: { cpus: 2, memBytes: 1, kernel: 'k', node: process.version },
};
const sample = (i: number): Sample => ({
  v: 1,
  variant: 'a',
  t: i * 100,
  wall: Date.now(),
  phaseIndex: -1,
  phase: 'baseline',
  target: 0,
  online: 0,
  proc: { rss: 1000 + i, lazyFree: 0, anonymous: 0, anonHugePages: 0, vmHWM: 1000 + i },
  alloc: null,
  runtime: null,
});

test('creates a run folder, appends samples within a second, finishes with a status', async () => {
  const base = await mkdtemp(join(tmpdir(), 'simload-writer-'));
  const w = await RunWriter.create(base, 'my scenario!', meta);
  const w2 = await RunWriter.create(base, 'my scenario!', meta);
  assert.match(basename(w.dir), /^my-scenario-\d{8}-\d{6}$/);
  assert.notEqual(w.dir, w2.dir);
  const running = JSON.parse(await readFile(join(w.dir, 'run.json'), 'utf8')) as RunMeta;
  assert.equal(running.status, 'running');
  assert.equal(running.tool, 'simload');
  assert.equal(running.version, '0.1.0');
  assert.equal(running.endedAt, null);

  await w.writeScenario('name: unit\n', { name: 'unit' } as never);
  assert.equal(await readFile(join(w.dir, 'scenario.yaml'), 'utf8'), 'name: unit\n');
  assert.deepEqual(JSON.parse(await readFile(join(w.dir, 'scenario.json'), 'utf8')), { name: 'unit' });

  for (let i = 0; i < 5; i++) w.appendSample(sample(i));
  w.appendEvent({ type: 'variant-start', variant: 'a', wall: 1, pid: 42 });
  await sleep(1400); // the flush timer, not finish(), must have written them
  const lines = readNdjson<Sample>(join(w.dir, 'samples.ndjson'));
  assert.equal(lines.length, 5);
  assert.equal(lines[4]!.proc.rss, 1004);

  await w.writeLatency({ unit: 'us', variants: {} });
  await w.writeJson('plan.json', { steps: [] });
  w.appendSample(sample(5));
  await w.finish('failed', { code: 'ERR_X', message: 'it broke' });
  w.appendSample(sample(6)); // after finish: dropped, no throw
  await w.finish('complete'); // second finish does nothing
  const done = JSON.parse(await readFile(join(w.dir, 'run.json'), 'utf8')) as RunMeta;
  assert.equal(done.status, 'failed');
  assert.deepEqual(done.error, { code: 'ERR_X', message: 'it broke' });
  assert.ok(done.endedAt && done.endedAt >= done.startedAt);
  const run = await loadRun(w.dir);
  assert.equal(run.samples.length, 6);
  assert.equal(run.events.length, 1);
  assert.deepEqual(run.plan, { steps: [] });
  assert.deepEqual(
    (await readdir(w.dir)).filter((f) => f.endsWith('.tmp')),
    [],
  );
  await rm(base, { recursive: true, force: true });
});

test('a process killed with SIGKILL loses at most about one second of samples', { timeout: 30_000 }, async () => {
  const base = await mkdtemp(join(tmpdir(), 'simload-crash-'));
  const script = join(base, 'child.mjs');
  const writerUrl = new URL('../../src/results/writer.js', import.meta.url).href;
  await writeFile(
    script,
    `import { RunWriter } from ${JSON.stringify(writerUrl)};
     const w = await RunWriter.create(${JSON.stringify(base)}, 'crash', ${JSON.stringify(meta)});
     process.stdout.write('dir ' + w.dir + '\\n');
     let i = 0;
     setInterval(() => {
       w.appendSample({ v: 1, variant: 'a', t: i * 50, wall: Date.now(), phaseIndex: -1, phase: 'baseline', target: 0, online: 0,
         proc: { rss: i, lazyFree: 0, anonymous: 0, anonHugePages: 0, vmHWM: i }, alloc: null, runtime: null });
       process.stdout.write('n ' + ++i + '\\n');
     }, 50);`,
  );
  const child = spawn(process.execPath, [script], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  while (!/n 50\n/.test(out)) await sleep(50); // about 2.5 s of samples
  child.kill('SIGKILL');
  await new Promise((r) => child.once('exit', r));
  const appended = Math.max(...[...out.matchAll(/n (\d+)\n/g)].map((m) => Number(m[1])));
  const dir = /dir (.+)\n/.exec(out)![1]!;
  const run = await loadRun(dir);
  assert.equal(run.meta?.status, 'running'); // it never finished: the folder says so
  assert.ok(run.samples.length > 0, 'samples reached the disk before the kill');
  // Flushed every second: at most ~20 samples (1 s at 50 ms) plus scheduling slack may be lost.
  assert.ok(appended - run.samples.length <= 26, `lost ${appended - run.samples.length} of ${appended}`);
  assert.deepEqual(
    run.samples.map((s) => s.proc.rss),
    run.samples.map((_, i) => i),
  ); // whole lines, in order
  await rm(base, { recursive: true, force: true });
});
