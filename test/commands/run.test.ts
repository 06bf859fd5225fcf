// `simload run` and the signals, from the command line: a SIGTERM mid-run (a real server, real bots, a live page)
// and one as soon as the live page listens both end with exit 130 and leave nothing behind (one while the code
// still loads: early-signal.test.ts): no process in simload's process group or in its server's, the live port
// closed, and what was recorded on disk with run.json saying `interrupted`. Each waits on what simload prints or
// writes, never on a sleep.
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import type { RunEvent, RunMeta } from '../../src/results/layout.js';
import type { Sample } from '../../src/results/sample.js';
import { readNdjson } from '../helpers/ndjson.js';
import { nothingLeft, spawnSimloadGroup } from '../helpers/signals.js';
import { waitFor } from '../helpers/wait.js';
import { TINY_PEAK, tinyScenario, tinyScenarioFile, tolerance } from '../run/fixtures.js';

/** Whether something accepts connections on 127.0.0.1:port. */
function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/** `simload run FILE --out BASE --live 0` in a process group of its own, and the live page's port once it says it. */
function spawnRun(file: string, base: string) {
  const run = spawnSimloadGroup(['run', file, '--out', base, '--live', '0']);
  const port = async (): Promise<number> => {
    await run.said("the live page's address", /live page: http:/);
    return Number(/live page: http:\/\/127\.0\.0\.1:(\d+)\//.exec(run.out.stderr)?.[1]);
  };
  return { ...run, port };
}

/** The run folders under `base`. */
function runFolders(base: string): string[] {
  return existsSync(base) ? readdirSync(base).map((d) => join(base, d)) : [];
}

describe('simload run: signals', { concurrency: true }, () => {
  test(
    'SIGTERM mid-run: exit 130, run.json interrupted, samples on disk, no process left, the live port closed',
    {
      timeout: 120_000,
    },
    async () => {
      const { dir, file } = await tinyScenarioFile(tinyScenario({ holdMs: 60_000 }));
      const base = join(dir, 'results');
      const run = spawnRun(file, base);
      const port = await run.port();
      assert.ok(port > 0, run.out.stderr);
      // The peak's hold has started: the bots hold the players logged in.
      await run.said('the hold at the peak', /^glibc: hold \(2\/4\)/m, 90_000);
      const [folder, ...more] = runFolders(base);
      assert.ok(folder && more.length === 0, `one run folder in ${base}`);
      const recorded = () => readNdjson<Sample>(join(folder, 'samples.ndjson'), { torn: true });
      await waitFor(
        'a sample after the ramp on disk',
        () => existsSync(join(folder, 'samples.ndjson')) && recorded().some((s) => s.phaseIndex >= 1),
        60_000,
      );
      assert.equal(await listening(port), true, 'the live page listens while the run goes');

      run.child.kill('SIGTERM');
      const { code, signal } = await run.exited;
      assert.deepEqual({ code, signal }, { code: 130, signal: null }, run.out.stderr);

      assert.deepEqual(runFolders(base), [folder]);
      const meta = JSON.parse(readFileSync(join(folder, 'run.json'), 'utf8')) as RunMeta;
      assert.equal(meta.status, 'interrupted');
      assert.ok(meta.endedAt, 'the end time is recorded');
      const events = readNdjson<RunEvent>(join(folder, 'events.ndjson'));
      assert.ok(events.some((e) => e.type === 'interrupted' && e.signal === 'SIGTERM'));
      const servers = events.flatMap((e) => (e.type === 'variant-start' ? [e.pid] : []));
      assert.equal(servers.length, 1);
      // What was recorded before the signal is on disk: the ramp's samples and those after it, with players online.
      const samples = recorded();
      assert.ok(samples.filter((s) => s.phaseIndex === 0).length >= 2, `${samples.length} samples`);
      const after = samples.filter((s) => s.phaseIndex >= 1);
      assert.ok(
        after.length >= 1 && after.every((s) => s.online > 0 && s.online <= TINY_PEAK + tolerance(TINY_PEAK)),
        `online after the ramp: ${after.map((s) => s.online).join(', ')}`,
      );
      assert.ok(existsSync(join(folder, 'summary.json')), 'the report of what was recorded is rendered');

      await nothingLeft([run.child.pid!, ...servers]);
      assert.equal(await listening(port), false, 'the live port is closed');
    },
  );

  test('SIGTERM as soon as the live page listens: exit 130, nothing left behind', { timeout: 120_000 }, async () => {
    const { dir, file } = await tinyScenarioFile(tinyScenario({ holdMs: 60_000 }));
    const base = join(dir, 'results');
    const run = spawnRun(file, base);
    const port = await run.port();
    run.child.kill('SIGTERM');
    const { code, signal } = await run.exited;
    assert.deepEqual({ code, signal }, { code: 130, signal: null }, run.out.stderr);
    // Stopped before the run started, it has no folder; a little later, its folder says how it ended.
    const folders = runFolders(base);
    assert.ok(folders.length <= 1, folders.join(', '));
    const servers: number[] = [];
    for (const folder of folders) {
      const meta = JSON.parse(readFileSync(join(folder, 'run.json'), 'utf8')) as RunMeta;
      assert.equal(meta.status, 'interrupted');
      const events = existsSync(join(folder, 'events.ndjson'))
        ? readNdjson<RunEvent>(join(folder, 'events.ndjson'))
        : [];
      servers.push(...events.flatMap((e) => (e.type === 'variant-start' ? [e.pid] : [])));
    }
    await nothingLeft([run.child.pid!, ...servers]);
    assert.equal(await listening(port), false, 'the live port is closed');
  });
});
