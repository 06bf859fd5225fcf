// A SIGTERM while a long command still loads its code, before it has read its scenario: `simload run`, `plan` and
// `fidelity` handle their signals before anything else, so it ends as one during the run does, with exit 130 and
// nothing left behind (no run folder, no process in the command's group), not with Node's default death by the
// signal. A module hook (test/helpers/signals.ts) holds the scenario reader's import and says so on stderr; the
// test signals on that line, then lets the import go on.
import assert from 'node:assert/strict';
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { holdScenarioReader, nothingLeft, spawnSimloadGroup } from '../helpers/signals.js';
import { tinyScenario, tinyScenarioFile } from '../run/fixtures.js';

const FIXTURES = fileURLToPath(new URL('../../../test/fidelity/fixtures/', import.meta.url));

const COMMANDS: Array<[string, (file: string, out: string) => string[]]> = [
  ['run', (file, out) => ['run', file, '--out', out]],
  ['plan', (file, out) => ['plan', file, '--budget', '1GiB', '--out', out]],
  [
    'fidelity',
    (_file, out) => ['fidelity', join(FIXTURES, 'tiny.yaml'), '--script', join(FIXTURES, 'bag.lua'), '--out', out],
  ],
];

describe('a signal while the command loads', { concurrency: true }, () => {
  for (const [name, args] of COMMANDS)
    test(
      `${name}: SIGTERM before the scenario is read: exit 130, no run folder, no process left`,
      {
        timeout: 60_000,
      },
      async () => {
        const { dir, file } = await tinyScenarioFile(tinyScenario());
        const out = join(dir, 'results');
        const hold = holdScenarioReader(dir);
        const cli = spawnSimloadGroup(args(file, out), hold.env);
        await cli.said("the scenario reader's import", /^HOOK-LOADING$/m);
        cli.child.kill('SIGTERM');
        writeFileSync(hold.release, '');
        const { code, signal } = await cli.exited;
        // Without the handling in place this early, Node's default ends the process: signal SIGTERM, no exit code.
        assert.deepEqual({ code, signal }, { code: 130, signal: null }, cli.out.stderr);
        assert.deepEqual(existsSync(out) ? readdirSync(out) : [], [], 'nothing ran, so nothing was written');
        await nothingLeft([cli.child.pid!]);
      },
    );
});
