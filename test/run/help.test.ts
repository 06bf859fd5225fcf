// Every command's --help has examples (the README says so).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { simloadEach } from '../helpers/cli.js';

test("every command's --help shows examples", async () => {
  const cmds = ['run', 'plan', 'report', 'compare', 'serve', 'build', 'probe', 'schema', 'fidelity'];
  const runs = await simloadEach(
    cmds.map((cmd) => [cmd, '--help']),
    { timeoutMs: 30_000 },
  );
  for (const [i, r] of runs.entries()) {
    assert.equal(r.code, 0, `${cmds[i]} --help: ${r.stderr}`);
    assert.match(r.stdout, /Examples:\n\s+simload /, `${cmds[i]} --help has no examples`);
  }
});
