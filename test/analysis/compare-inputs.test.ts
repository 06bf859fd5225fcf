// What `simload compare` refuses before comparing anything, through the real CLI: a run that failed or was
// interrupted (exit 3, even compared with itself), runs of different scenarios (exit 2 unless --any-scenario);
// and N runs per side, as a comma-separated list or a folder of run folders.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cp, mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ExitCode } from '../../src/errors.js';
import { simloadCli } from '../helpers/cli.js';
import { FIXTURE_DIR, fixtureCopy } from '../helpers/run-fixture.js';

// compare only reads the folders: the calls of a test run side by side.
async function simload(...args: string[]) {
  const r = await simloadCli(args, { timeoutMs: 60_000 });
  return { code: r.code, out: r.stdout, err: r.stderr };
}

async function withRunJson(edit: (meta: Record<string, unknown>) => void): Promise<string> {
  const dir = await fixtureCopy();
  const file = join(dir, 'run.json');
  const meta = JSON.parse(await readFile(file, 'utf8')) as Record<string, unknown>;
  edit(meta);
  await writeFile(file, JSON.stringify(meta));
  return dir;
}

test('a run that failed or was interrupted is refused, even against itself: exit 3 naming it', async () => {
  await Promise.all(
    ['failed', 'interrupted', 'running'].map(async (status) => {
      const dir = await withRunJson((m) => (m['status'] = status));
      const [self, asCandidate] = await Promise.all([
        simload('compare', dir, dir),
        simload('compare', FIXTURE_DIR, dir),
      ]);
      assert.equal(self.code, ExitCode.runtime, `${status}: ${self.out}${self.err}`);
      assert.ok(self.err.includes(`${dir}: ${status}`), self.err);
      assert.match(self.err, /the baseline holds a run that did not complete/);
      assert.equal(asCandidate.code, ExitCode.runtime);
      assert.match(asCandidate.err, /the candidate holds a run that did not complete/);
    }),
  );
});

test('runs of different scenarios are refused (exit 2) unless --any-scenario, which says so', async () => {
  const other = await withRunJson((m) => (m['scenario'] = 'ramp'));
  const [r, anyway] = await Promise.all([
    simload('compare', FIXTURE_DIR, other),
    simload('compare', FIXTURE_DIR, other, '--any-scenario'),
  ]);
  assert.equal(r.code, ExitCode.usage);
  assert.match(r.err, /different scenarios \("fixture-ramp", "ramp"\)/);
  assert.equal(anyway.code, ExitCode.ok, anyway.out + anyway.err);
  assert.match(anyway.out, /^note: runs of different scenarios compared/);
});

test('N runs per side: a comma-separated list or a folder of run folders, compared by medians', async () => {
  const base = await mkdtemp(join(tmpdir(), 'simload-sides-'));
  for (const side of ['a', 'b']) {
    for (const i of [1, 2, 3]) {
      await mkdir(join(base, side), { recursive: true });
      await cp(FIXTURE_DIR, join(base, side, `run-${i}`), { recursive: true });
    }
  }
  // A folder with no run in it is no run.
  await mkdir(join(base, 'empty'));
  const [folders, list, empty] = await Promise.all([
    simload('compare', join(base, 'a'), join(base, 'b')),
    simload('compare', `${join(base, 'a', 'run-1')},${join(base, 'a', 'run-2')}`, join(base, 'b'), '--json'),
    simload('compare', join(base, 'a'), join(base, 'empty')),
  ]);
  assert.equal(folders.code, ExitCode.ok, folders.out + folders.err);
  assert.match(folders.out, /baseline: {2}.*\/a \(3 runs\)/);
  assert.match(folders.out, /madv-free: \(medians of 3 and 3 runs\)/);
  assert.equal(list.code, ExitCode.ok);
  assert.deepEqual((JSON.parse(list.out) as { variants: Array<{ runs: unknown }> }).variants[0]!.runs, {
    baseline: 2,
    candidate: 3,
  });
  assert.equal(empty.code, ExitCode.usage);
});
