// Every command's --help has examples (the README says so).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

const CLI = join(process.cwd(), 'bin', 'simload.js');

test("every command's --help shows examples", () => {
  for (const cmd of ['run', 'plan', 'report', 'compare', 'serve', 'build', 'probe', 'schema', 'fidelity']) {
    const r = spawnSync(process.execPath, [CLI, cmd, '--help'], { encoding: 'utf8', timeout: 30_000 });
    assert.equal(r.status, 0, `${cmd} --help: ${r.stderr}`);
    assert.match(r.stdout, /Examples:\n\s+simload /, `${cmd} --help has no examples`);
  }
});
