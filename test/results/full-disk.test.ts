// A full disk (a real one: a small tmpfs) leaves no half-written temporary behind, neither in the writer nor in
// `simload report`, so the space and the folder are as they were and the report can be made once there is room.
// Needs to mount a tmpfs (root with CAP_SYS_ADMIN); skips with the reason elsewhere.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readdirSync, statfsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RunWriter } from '../../src/results/writer.js';
import { FIXTURE_DIR } from '../helpers/run-fixture.js';

const BIN = join(process.cwd(), 'bin', 'simload.js');
const meta = {
  scenario: 'unit',
  variants: ['a'],
  parallel: false,
  host: { cpus: 2, memBytes: 1, kernel: 'k', node: process.version },
};

function mountSmall(kib: number): { dir: string; problem: string | null; remount(kib: number): void; unmount(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'simload-full-'));
  const r = spawnSync('mount', ['-t', 'tmpfs', '-o', `size=${kib}k`, 'tmpfs', dir], { encoding: 'utf8' });
  return {
    dir,
    problem:
      r.status === 0
        ? null
        : `cannot mount a small tmpfs to fill (${(r.stderr || String(r.error)).trim()}): needs root with CAP_SYS_ADMIN`,
    remount: (k) => assert.equal(spawnSync('mount', ['-o', `remount,size=${k}k`, dir]).status, 0),
    unmount: () => void spawnSync('umount', [dir]),
  };
}

const freeBytes = (dir: string) => statfsSync(dir).bavail * statfsSync(dir).bsize;
const temporaries = (dir: string) => readdirSync(dir).filter((f) => f.endsWith('.tmp'));

test('a write that fills the disk leaves no temporary: the writer and `simload report` give the space back', async (t) => {
  const m = mountSmall(192);
  if (m.problem) return t.skip(m.problem);
  try {
    const w = await RunWriter.create(m.dir, 'full', meta);
    const before = freeBytes(m.dir);
    await assert.rejects(
      w.writeJson('big.json', 'x'.repeat(400 * 1024)),
      (e: Error & { code?: string }) => e.code === 'ERR_RESULTS_WRITE',
    );
    assert.deepEqual(temporaries(w.dir), []);
    assert.equal(freeBytes(m.dir), before, 'the half-written temporary was removed');

    const run = join(m.dir, 'run-basic');
    cpSync(FIXTURE_DIR, run, { recursive: true });
    const full = spawnSync(process.execPath, [BIN, 'report', run], { encoding: 'utf8', timeout: 60_000 });
    assert.equal(full.status, 3, full.stderr);
    assert.match(full.stderr, /ENOSPC/);
    assert.deepEqual(temporaries(run), []);
    // once there is room, the same folder reports
    m.remount(8192);
    const roomy = spawnSync(process.execPath, [BIN, 'report', run], { encoding: 'utf8', timeout: 60_000 });
    assert.notEqual(roomy.status, 3, roomy.stderr);
    assert.ok(readdirSync(run).includes('report.html'));
  } finally {
    m.unmount();
  }
});
