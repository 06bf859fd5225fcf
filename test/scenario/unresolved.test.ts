// A scenario naming an environment variable nobody set (seed.yaml's `${SIMLOAD_JEMALLOC_5_0_1}` on a user's
// machine): the file loads, the variants that need the variable refuse to run with exit 2 naming the variable
// and its line, and the others still run.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ExitCode, UsageError } from '../../src/errors.js';
import { parseScenario } from '../../src/scenario/load.js';
import { requireResolved } from '../../src/scenario/unresolved.js';
import { BIN } from '../alloc/builds.js';

const TEXT = `name: env
variants:
  - name: theirs
    build: madv-free
    jemalloc: \${SIMLOAD_TEST_NEVER_SET}/je.tar.bz2
  - name: ours
    build: madv-free
load:
  phases:
    - ramp: { to: 10, over: 1s }
`;

test('an unset variable leaves its variant unrunnable, the others selectable', () => {
  delete process.env['SIMLOAD_TEST_NEVER_SET'];
  const s = parseScenario(TEXT, 'env.yaml');
  assert.equal(
    s.variants[0]!.unresolved,
    "env.yaml:5:15 variants[0].jemalloc: ${SIMLOAD_TEST_NEVER_SET} is not set: export SIMLOAD_TEST_NEVER_SET=PATH to a jemalloc source tree (e.g. your skynet checkout's 3rd/jemalloc) or a jemalloc release tarball",
  );
  assert.equal(s.variants[1]!.unresolved, undefined);
  requireResolved(s, [s.variants[1]!]);
  assert.throws(
    () => requireResolved(s, s.variants),
    (e: unknown) =>
      e instanceof UsageError &&
      e.code === 'ERR_SCENARIO_ENV' &&
      e.exitCode === ExitCode.usage &&
      e.message.includes('  theirs: env.yaml:5:15 ') &&
      e.message.includes('--variants ours'),
  );
});

test('simload run seed.yaml without SIMLOAD_JEMALLOC_5_0_1: exit 2 naming the variable and its lines, no run folder', () => {
  const out = mkdtempSync(join(tmpdir(), 'simload-unresolved-'));
  const env = { ...process.env };
  delete env['SIMLOAD_JEMALLOC_5_0_1'];
  const r = spawnSync(process.execPath, [BIN, 'run', 'scenarios/seed.yaml', '--out', out, '--quiet'], {
    encoding: 'utf8',
    env,
    timeout: 60_000,
  });
  assert.equal(r.status, ExitCode.usage, r.stderr);
  const lines = r.stderr.split('\n').filter((l) => l.includes('${SIMLOAD_JEMALLOC_5_0_1} is not set'));
  assert.deepEqual(
    lines.map((l) => /seed\.yaml:(\d+):\d+ (variants\[\d\]\.jemalloc)/.exec(l)?.slice(1)),
    [
      ['44', 'variants[0].jemalloc'],
      ['48', 'variants[1].jemalloc'],
    ],
  );
  assert.match(r.stderr, /--variants je530-madv-free,je530-no-madv-free/);
  assert.deepEqual(readdirSync(out), []);
});
