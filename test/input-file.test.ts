// Inputs that are not files: a scenario, an agent script or a library naming /dev/zero or a FIFO is refused
// before it is read, with what it is; a file past the size bound likewise. The CLI cases run as child processes,
// so a read that blocks on a FIFO fails the test at the child's kill instead of hanging the suite.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ScenarioError } from '../src/scenario/problems.js';
import { parseScenario } from '../src/scenario/load.js';
import { checkRegularFile, readInputFile } from '../src/input-file.js';

const dir = mkdtempSync(join(tmpdir(), 'simload-input-'));
const fifo = join(dir, 'pipe');
assert.equal(spawnSync('mkfifo', [fifo]).status, 0, 'mkfifo');
const HANG_MS = 60_000;
const tail = 'load: { phases: [ { ramp: { to: 10, over: 1s } } ] }\n';

/** `simload run FILE` in a child: its exit code and stderr (signal set when it had to be killed). */
function run(file: string): { status: number | null; signal: NodeJS.Signals | null; stderr: string } {
  const r = spawnSync(process.execPath, [join(process.cwd(), 'bin', 'simload.js'), 'run', file, '--quiet'], {
    cwd: dir,
    encoding: 'utf8',
    timeout: HANG_MS,
    killSignal: 'SIGKILL',
  });
  return { status: r.status, signal: r.signal, stderr: r.stderr };
}

function problems(text: string): string[] {
  try {
    parseScenario(text, join(dir, 's.yaml'));
  } catch (err) {
    assert.ok(err instanceof ScenarioError, String(err));
    return err.problems.map((p) => `${p.line}:${p.col} ${p.path}: ${p.message}`);
  }
  return [];
}

test('a scenario or an agent script that is a FIFO: exit 2 at once, not a read that never returns', () => {
  const scenario = run(fifo);
  assert.equal(scenario.signal, null, 'simload run blocked on a FIFO scenario (killed)');
  assert.equal(scenario.status, 2, scenario.stderr);
  assert.match(scenario.stderr, /pipe: is a named pipe \(FIFO\)/);
  writeFileSync(
    join(dir, 'fifo-script.yaml'),
    `name: s\nserver:\n  script: pipe\nvariants: [{ name: g, build: glibc }]\n${tail}`,
  );
  const script = run(join(dir, 'fifo-script.yaml'));
  assert.equal(script.signal, null, 'simload run blocked on a FIFO agent script (killed)');
  assert.equal(script.status, 2, script.stderr);
  assert.match(script.stderr, /fifo-script\.yaml:3:11 server\.script: .*pipe: is a named pipe \(FIFO\)/);
  const serve = spawnSync(
    process.execPath,
    [join(process.cwd(), 'bin', 'simload.js'), 'serve', '--variant', 'glibc', '--config', fifo],
    { encoding: 'utf8', timeout: HANG_MS, killSignal: 'SIGKILL' },
  );
  assert.equal(serve.signal, null, 'simload serve blocked on a FIFO --config (killed)');
  assert.equal(serve.status, 2, serve.stderr);
});

test('lib: naming a device or a FIFO is refused where the scenario says it, as what it is (not "does not exist")', () => {
  const got = problems(`name: s\nvariants:\n  - { name: z, lib: /dev/zero }\n  - { name: f, lib: ${fifo} }\n${tail}`);
  assert.equal(got.length, 2, got.join('\n'));
  assert.match(got[0]!, /^3:21 variants\[0\]\.lib: \/dev\/zero is a character device, not a regular file$/);
  assert.match(got[1]!, /^4:21 variants\[1\]\.lib: .*pipe is a named pipe \(FIFO\), not a regular file$/);
});

test('/dev/zero as a scenario or a script, and files past the bound, are refused unread', () => {
  const zero = run('/dev/zero');
  assert.equal(zero.status, 2, zero.stderr);
  assert.match(zero.stderr, /\/dev\/zero: is a character device, not a regular file/);
  assert.deepEqual(
    problems(`name: s\nserver:\n  script: /dev/zero\nvariants: [{ name: g, build: glibc }]\n${tail}`).length,
    1,
  );
  const big = join(dir, 'big.yaml');
  writeFileSync(big, '#'.repeat(1024 * 1024 + 1));
  const r = run(big);
  assert.equal(r.status, 2, r.stderr);
  assert.match(r.stderr, /big\.yaml: is 1048577 bytes, more than the 1048576 allowed/);
  // the reader itself: a regular file within the bound is read whole; a folder is named as one
  writeFileSync(join(dir, 'ok.txt'), 'ok\n');
  assert.deepEqual(readInputFile(join(dir, 'ok.txt'), 3), { text: 'ok\n' });
  assert.deepEqual(readInputFile(join(dir, 'ok.txt'), 2), { problem: 'is 3 bytes, more than the 2 allowed' });
  assert.deepEqual(checkRegularFile(dir), { problem: 'is a folder, not a regular file' });
  assert.deepEqual(checkRegularFile(join(dir, 'nope')), { problem: 'no such file' });
});
