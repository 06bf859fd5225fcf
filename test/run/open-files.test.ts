// An open-file limit below what simload needs: one clear usage error (exit 2) whichever the path, from loading
// simload itself (Node's module loader) to the run's own check of sockets at the peak, never a raw EMFILE stack.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { tinyScenarioFile } from './fixtures.js';
import { FIXTURE_DIR } from '../helpers/run-fixture.js';

const CLI = join(process.cwd(), 'bin', 'simload.js');

function withLimit(n: number, ...args: string[]): { status: number | null; stderr: string } {
  const quoted = args.map((a) => `'${a}'`).join(' ');
  const r = spawnSync('sh', ['-c', `ulimit -n ${n} && exec '${process.execPath}' '${CLI}' ${quoted}`], {
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { status: r.status, stderr: r.stderr };
}

test('too few open files: exit 2 with the limit named, for loading simload and for the run at its peak', async () => {
  const { dir, file } = await tinyScenarioFile();
  for (const [n, args] of [
    [20, ['run', file, '--out', join(dir, 'r')]],
    [64, ['run', file, '--out', join(dir, 'r')]],
    [64, ['report', FIXTURE_DIR, '--json']],
    [300, ['run', file, '--out', join(dir, 'r')]], // simload loads; 300 players need more sockets than that
  ] as Array<[number, string[]]>) {
    const r = withLimit(n, ...args);
    assert.equal(r.status, 2, `ulimit -n ${n} ${args[0]}: ${r.stderr}`);
    assert.doesNotMatch(r.stderr, /node:internal|^\s+at /m, `a raw stack at ulimit -n ${n}`);
    assert.match(r.stderr, new RegExp(`limit is ${n}\\b`));
  }
});
