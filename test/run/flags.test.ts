// Flags that used to mean something else when empty: `--variants ''` ran every variant, `--out` without a
// value wrote into the current folder. Both are usage errors (exit 2) before anything runs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { simloadEach } from '../helpers/cli.js';
import { tinyScenarioFile } from './fixtures.js';

test('--variants with no name and --out with no folder are usage errors; nothing is written', async () => {
  const { dir, file } = await tinyScenarioFile();
  const cases = [['--variants', ''], ['--variants', ' , '], ['--out'], ['--out', '']];
  const runs = await simloadEach(
    cases.map((args) => ['run', file, ...args]),
    { cwd: dir, timeoutMs: 30_000 },
  );
  for (const [i, args] of cases.entries()) {
    const r = runs[i]!;
    assert.equal(r.code, 2, `${args.join(' ')}: exit ${r.code}; ${r.stderr}`);
    assert.match(r.stderr, args[0] === '--out' ? /--out needs a folder/ : /--variants needs at least one variant name/);
  }
  assert.deepEqual(readdirSync(dir), ['tiny.yaml'], 'no run folder was made');
});
