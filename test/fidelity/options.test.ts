// `simload fidelity`'s flags as yargs hands them over: defaults, folder lists one per pair, and exact messages for
// bad input (the command line itself: test/commands/fidelity.test.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ExitCode, UsageError } from '../../src/errors.js';
import { fidelityOptions, type FidelityFlags } from '../../src/fidelity/options.js';

test('fidelity options: defaults, and --repeat taken from the folders given', () => {
  assert.deepEqual(fidelityOptions('s.yaml', {}), {
    scenario: 's.yaml',
    outDir: 'results',
    transport: 'gate',
    repeat: 1,
  });
  const o = fidelityOptions('s.yaml', { skynet: 'x, y', transport: 'driver' }, ['madv-free']);
  assert.deepEqual(o, {
    scenario: 's.yaml',
    variants: ['madv-free'],
    outDir: 'results',
    skyDirs: ['x', 'y'],
    transport: 'driver',
    repeat: 2,
  });
  assert.deepEqual(fidelityOptions('s.yaml', { repeat: '3', out: '/tmp/o', script: 'a.lua' }), {
    scenario: 's.yaml',
    script: 'a.lua',
    outDir: '/tmp/o',
    transport: 'gate',
    repeat: 3,
  });
  // A folder flag given twice adds to the list.
  assert.deepEqual(fidelityOptions('s.yaml', { simload: ['a', 'b,c'] }).simDirs, ['a', 'b', 'c']);
});

test('fidelity options: bad input is a UsageError (exit 2) that says which flag and why', () => {
  const bad = (flags: FidelityFlags, message: string) =>
    assert.throws(
      () => fidelityOptions('s.yaml', flags),
      (e: unknown) =>
        e instanceof UsageError &&
        e.exitCode === ExitCode.usage &&
        e.code === 'ERR_FIDELITY_ARGS' &&
        e.message === message,
    );
  bad({ repeat: '0' }, '--repeat 0: a whole number of pairs, at least 1');
  bad({ repeat: '1.5' }, '--repeat 1.5: a whole number of pairs, at least 1');
  bad({ repeat: 'two' }, '--repeat two: a whole number of pairs, at least 1');
  bad({ repeat: '2', simload: 'a' }, '--simload names 1 folder(s) for 2 pair(s): one per pair');
  bad({ simload: 'a,b', skynet: 'x' }, '--skynet names 1 folder(s) for 2 pair(s): one per pair');
  bad({ transport: 'udp' }, '--transport udp: one of driver, gate');
  bad({ out: '' }, '--out needs a value');
  bad({ skynet: ' , ' }, '--skynet needs a value');
  bad({ out: ['a', 'b'] }, '--out given 2 times: once');
});
