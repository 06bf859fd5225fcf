// Flags that used to mean something else when empty: `--variants ''` ran every variant, `--out` without a
// value wrote into the current folder. Both are usage errors (exit 2) before anything runs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { tinyScenarioFile } from './fixtures.js';

const CLI = join(process.cwd(), 'bin', 'simload.js');

test('--variants with no name and --out with no folder are usage errors; nothing is written', async () => {
  const { dir, file } = await tinyScenarioFile();
  for (const args of [['--variants', ''], ['--variants', ' , '], ['--out'], ['--out', '']]) {
    const r = spawnSync(process.execPath, [CLI, 'run', file, ...args], { cwd: dir, encoding: 'utf8', timeout: 30_000 });
    assert.equal(r.status, 2, `${args.join(' ')}: exit ${r.status}; ${r.stderr}`);
    assert.match(r.stderr, args[0] === '--out' ? /--out needs a folder/ : /--variants needs at least one variant name/);
  }
  assert.deepEqual(readdirSync(dir), ['tiny.yaml'], 'no run folder was made');
});
