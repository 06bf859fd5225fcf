// output.dir stays inside the working folder by place, not only by name: a link inside it that leads out is
// refused before anything is written, at the writer and through `simload run`.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, realpathSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SimloadError } from '../../src/errors.js';
import { RunWriter } from '../../src/results/writer.js';
import { tinyScenario } from '../run/fixtures.js';

const meta = {
  scenario: 'unit',
  variants: ['a'],
  parallel: false,
  host: { cpus: 2, memBytes: 1, kernel: 'k', node: process.version },
};

function place(): { root: string; outside: string } {
  const top = mkdtempSync(join(tmpdir(), 'simload-contain-'));
  const root = join(top, 'work');
  const outside = join(top, 'elsewhere');
  mkdirSync(root);
  mkdirSync(outside);
  return { root, outside };
}

async function refused(p: Promise<unknown>): Promise<SimloadError> {
  const err = await p.then(
    () => assert.fail('the writer wrote through a link out of the working folder'),
    (e: unknown) => e,
  );
  assert.ok(err instanceof SimloadError, String(err));
  return err;
}

test('a link inside the working folder that leads out is refused, at any depth; nothing is written there', async () => {
  const { root, outside } = place();
  symlinkSync(outside, join(root, 'results'));
  mkdirSync(join(root, 'deep'));
  symlinkSync(outside, join(root, 'deep', 'link'));
  symlinkSync('/etc', join(root, 'etc'));
  symlinkSync(join(root, 'nowhere'), join(root, 'dangling'));
  for (const dir of ['results', 'results/sub', 'deep/link/x', 'etc', './deep/../results']) {
    const err = await refused(RunWriter.create(dir, 'probe', meta, { within: root }));
    assert.equal(err.code, 'ERR_RESULTS_DIR', dir);
    assert.equal(err.exitCode, 2, dir);
  }
  assert.equal((await refused(RunWriter.create('dangling', 'probe', meta, { within: root }))).code, 'ERR_RESULTS_DIR');
  assert.deepEqual(readdirSync(outside), []);
  assert.ok(!readdirSync('/etc').some((f) => f.startsWith('probe-')));
});

test('links that stay inside are followed, and --out (no `within`) may name any place', async () => {
  const { root, outside } = place();
  mkdirSync(join(root, 'real'));
  symlinkSync(join(root, 'real'), join(root, 'results'));
  const w = await RunWriter.create('results/runs', 'inside', meta, { within: root });
  await w.finish('complete');
  assert.equal(realpathSync(w.dir).startsWith(realpathSync(join(root, 'real', 'runs')) + '/'), true, w.dir);
  const free = await RunWriter.create(outside, 'out-flag', meta);
  await free.finish('complete');
  assert.deepEqual(readdirSync(outside).length, 1);
});

test('`simload run` with output.dir through a link out of the working folder exits 2 before any server starts', () => {
  const { root, outside } = place();
  symlinkSync(outside, join(root, 'results'));
  writeFileSync(join(root, 'tiny.yaml'), tinyScenario() + 'output:\n  dir: results\n');
  const r = spawnSync(process.execPath, [join(process.cwd(), 'bin', 'simload.js'), 'run', 'tiny.yaml', '--quiet'], {
    cwd: root,
    encoding: 'utf8',
    timeout: 120_000,
  });
  assert.equal(r.status, 2, r.stderr);
  assert.match(r.stderr, new RegExp(realpathSync(outside).replace(/[.*+?^${}()|[\]\\]/g, '\\$&')));
  assert.deepEqual(readdirSync(outside), []);
});
