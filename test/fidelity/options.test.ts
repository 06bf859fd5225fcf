// `npm run fidelity`'s command line: defaults, folder lists one per pair, and exact messages for bad input.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ExitCode, UsageError } from '../../src/errors.js';
import { parseFidelityArgs } from '../../src/fidelity/options.js';

test('fidelity options: defaults, and --repeat taken from the folders given', () => {
  assert.deepEqual(parseFidelityArgs(['s.yaml']), { scenario: 's.yaml', outDir: 'results', transport: 'gate', repeat: 1 });
  const o = parseFidelityArgs(['--skynet', 'x, y', 's.yaml', '--variants', 'madv-free', '--transport', 'driver']);
  assert.deepEqual(o, { scenario: 's.yaml', variants: ['madv-free'], outDir: 'results', skyDirs: ['x', 'y'], transport: 'driver', repeat: 2 });
  assert.equal(parseFidelityArgs(['s.yaml', '--repeat', '3', '--out', '/tmp/o']).repeat, 3);
});

test('fidelity options: bad input is a UsageError (exit 2) that says which flag and why', () => {
  const bad = (argv: string[], message: RegExp) =>
    assert.throws(() => parseFidelityArgs(argv), (e: unknown) => e instanceof UsageError && e.exitCode === ExitCode.usage && message.test(e.message));
  bad([], /^usage: npm run fidelity -- SCENARIO/);
  bad(['a.yaml', 'b.yaml'], /^fidelity: one scenario, got a\.yaml b\.yaml\n/);
  bad(['s.yaml', '--repeat', '0'], /^fidelity: --repeat 0: a whole number of pairs, at least 1$/);
  bad(['s.yaml', '--repeat', '1.5'], /--repeat 1\.5: a whole number/);
  bad(['s.yaml', '--repeat', '2', '--simload', 'a'], /^fidelity: --simload names 1 folder\(s\) for 2 pair\(s\): one per pair$/);
  bad(['s.yaml', '--simload', 'a,b', '--skynet', 'x'], /^fidelity: --skynet names 1 folder\(s\) for 2 pair\(s\)/);
  bad(['s.yaml', '--transport', 'udp'], /^fidelity: --transport udp: one of driver, gate$/);
  bad(['s.yaml', '--repaet', '2'], /^fidelity: unknown flag --repaet\n/);
  bad(['s.yaml', '--out'], /^fidelity: --out needs a value\n/);
});
