// One live watch per folder: two real `simload watch` processes of a real process, the second a --resume of the
// folder the first still writes (refused with exit 2 before the folder changes, while the first goes on), then
// resumed once the first has ended; and the lock file's rules in this process: held by a live watch, stale when
// its owner is gone or its pid now belongs to another process, released only by its owner.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { readProcessIdentity } from '../../src/proc/process.js';
import type { RunEvent, RunMeta } from '../../src/results/layout.js';
import { lockWatchFolder } from '../../src/watch/lock.js';
import { SIMLOAD_BIN, simloadCli, watchArgs } from '../helpers/cli.js';
import { readNdjson } from '../helpers/ndjson.js';
import { waitFor } from '../helpers/wait.js';

const LOCK = 'watch.lock';

const readMeta = (dir: string) => JSON.parse(readFileSync(join(dir, 'run.json'), 'utf8')) as RunMeta;
const sampleCount = (dir: string) =>
  existsSync(join(dir, 'samples.ndjson')) ? readNdjson(join(dir, 'samples.ndjson'), { torn: true }).length : 0;

/** A process that has exited (and been reaped): its pid names nobody now. */
async function goneProcessPid(): Promise<number> {
  const p = spawn('true');
  await new Promise((r) => p.once('close', r));
  return p.pid!;
}

describe('watch lock', { concurrency: true }, () => {
  test(
    'a --resume of a folder a live watch writes: exit 2, the folder unchanged, the first watch goes on; resumed once it ended',
    {
      timeout: 90_000,
    },
    async () => {
      const out = mkdtempSync(join(tmpdir(), 'simload-watch-lock-'));
      const target = spawn('sleep', ['120'], { stdio: 'ignore' });
      try {
        const first = spawn(
          process.execPath,
          [SIMLOAD_BIN, 'watch', '--pid', String(target.pid), '--interval', '200ms', '--out', out, '--name', 'lk'],
          { stdio: ['pipe', 'pipe', 'pipe'] },
        );
        let stdout = '';
        let stderr = '';
        first.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
        first.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
        const exited = new Promise<number | null>((r) => first.once('close', (code) => r(code)));
        await waitFor(
          () => `the first watch's folder; stderr:\n${stderr}`,
          () => / into \S+\n/.test(stdout),
          30_000,
        );
        const dir = / into (\S+)\n/.exec(stdout)![1]!;
        const owner = JSON.parse(readFileSync(join(dir, LOCK), 'utf8')) as { pid: number; identity: string };
        assert.equal(owner.pid, first.pid);
        assert.equal(owner.identity, readProcessIdentity(first.pid!));
        await waitFor('two samples from the first watch', () => sampleCount(dir) >= 2, 30_000);

        // The folder named, and the newest of its name: both refused while the first watch writes it.
        const [named, newest] = await Promise.all([
          simloadCli([...watchArgs(target.pid!, '200ms', '1s', out), '--name', 'lk', '--resume', dir]),
          simloadCli([...watchArgs(target.pid!, '200ms', '1s', out), '--name', 'lk', '--resume']),
        ]);
        for (const [r, said] of [
          [named, dir],
          [newest, dir],
        ] as const) {
          assert.equal(r.code, 2, r.stderr);
          assert.equal(
            r.stderr,
            `simload: --resume ${said}: another simload watch (pid ${first.pid}) is writing this folder (${join(dir, LOCK)}); ` +
              'stop it first, or watch into a new folder (leave out --resume)\n',
          );
        }
        const meta = readMeta(dir);
        assert.equal(meta.status, 'running');
        assert.equal(meta.resumes, undefined, 'no resume recorded');
        assert.equal(JSON.parse(readFileSync(join(dir, LOCK), 'utf8')).pid, first.pid, 'the lock is the first watch’s');
        const refusedAt = sampleCount(dir);
        await waitFor('the first watch to go on sampling', () => sampleCount(dir) >= refusedAt + 2, 30_000);

        first.kill('SIGINT');
        assert.equal(await exited, 130, stderr);
        assert.equal(existsSync(join(dir, LOCK)), false, 'a watch that ended removes its lock');
        const events = readNdjson<RunEvent>(join(dir, 'events.ndjson'));
        assert.equal(events.filter((e) => e.type === 'resumed').length, 0);

        const again = await simloadCli([
          ...watchArgs(target.pid!, '200ms', '1s', out),
          '--name',
          'lk',
          '--resume',
          dir,
        ]);
        assert.equal(again.code, 0, again.stderr);
        assert.equal(readMeta(dir).resumes?.length, 1);
        assert.equal(readMeta(dir).status, 'complete');
        assert.equal(existsSync(join(dir, LOCK)), false);
      } finally {
        target.kill();
      }
    },
  );

  test('a lock whose owner is gone, whose pid is another process now, or that is not a lock is stale: taken over', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'simload-watch-lock-'));
    const lock = join(dir, LOCK);
    const other = spawn('sleep', ['60'], { stdio: 'ignore' });
    try {
      for (const stale of [
        JSON.stringify({ pid: await goneProcessPid(), identity: 'x:1' }),
        // A live pid that started at another time (or in another boot): not the watch that wrote the lock.
        JSON.stringify({ pid: other.pid, identity: `${readProcessIdentity(other.pid!)}0` }),
        '{"pid": 12',
      ]) {
        writeFileSync(lock, stale);
        const held = lockWatchFolder(dir, dir);
        const now = JSON.parse(readFileSync(lock, 'utf8')) as { pid: number; identity: string };
        assert.deepEqual(now, { pid: process.pid, identity: readProcessIdentity(process.pid) }, stale);
        held.release();
        assert.equal(existsSync(lock), false);
      }
    } finally {
      other.kill();
    }
  });

  test('a live lock refuses with ERR_WATCH_BUSY (exit 2); release leaves a lock that is not its own', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'simload-watch-lock-'));
    const lock = join(dir, LOCK);
    const held = lockWatchFolder(dir, dir);
    assert.throws(
      () => lockWatchFolder(dir, `--resume ${dir}`),
      (e: Error & { code?: string; exitCode?: number }) => e.code === 'ERR_WATCH_BUSY' && e.exitCode === 2,
    );
    // Another live process's lock (the sleeper's, with its identity): refused too, and untouched by our release.
    const other = spawn('sleep', ['60'], { stdio: 'ignore' });
    try {
      const theirs = JSON.stringify({ pid: other.pid, identity: readProcessIdentity(other.pid!) });
      writeFileSync(lock, theirs);
      assert.throws(
        () => lockWatchFolder(dir, dir),
        (e: Error & { code?: string }) => e.code === 'ERR_WATCH_BUSY',
      );
      held.release();
      assert.equal(readFileSync(lock, 'utf8'), theirs);
    } finally {
      other.kill();
    }
  });
});
