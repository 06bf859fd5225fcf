// What the server or jemalloc would refuse only once the run has started is refused when the scenario and the
// flags are read (exit 2, at file:line:col), and an output file that cannot be written is found before the run.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseScenario } from '../../src/scenario/load.js';
import { ScenarioError } from '../../src/scenario/problems.js';
import { parseMallocConf } from '../../src/alloc/conf.js';
import { UsageError } from '../../src/errors.js';
import { tinyScenario } from '../run/fixtures.js';
import { FIXTURE_DIR } from '../helpers/run-fixture.js';
import { simloadEach } from '../helpers/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'simload-late-'));
writeFileSync(join(dir, 'ok.lua'), 'function login(id) end\nfunction message(n) end\n');

function problems(text: string): string[] {
  try {
    parseScenario(text, join(dir, 's.yaml'));
  } catch (err) {
    assert.ok(err instanceof ScenarioError, String(err));
    return err.problems.map((p) => `${p.line}:${p.col} ${p.path}`);
  }
  return [];
}

const tail = 'load: { phases: [ { ramp: { to: 10, over: 1s } } ] }\n';

test('limits past what the server accepts are scenario problems, at their place', () => {
  assert.deepEqual(
    problems(
      `name: s\nserver:\n  script: ok.lua\n  script_limits: { instructions: 10000000000000 }\nvariants: [{ name: g, build: glibc }]\n${tail}`,
    ),
    ['4:34 server.script_limits.instructions'],
  );
  assert.deepEqual(problems(`name: s\nserver:\n  max_frame: 2GiB\nvariants: [{ name: g, build: glibc }]\n${tail}`), [
    '3:14 server.max_frame',
  ]);
  // within the bounds, both pass
  assert.deepEqual(
    problems(
      `name: s\nserver:\n  script: ok.lua\n  script_limits: { instructions: 1000000000000 }\n  max_frame: 1GiB\nvariants: [{ name: g, build: glibc }]\n${tail}`,
    ),
    [],
  );
});

test("malloc_conf values out of jemalloc's range: refused in the scenario and on the command line", () => {
  const got = problems(
    `name: s\nvariants:\n  - { name: a, build: madv-free, malloc_conf: "dirty_decay_ms:18446744072001" }\n  - { name: b, build: madv-free, malloc_conf: "narenas:5000" }\n  - { name: c, build: madv-free, malloc_conf: "narenas:0" }\n  - { name: d, build: madv-free, malloc_conf: "muzzy_decay_ms:18446744072000,narenas:4094" }\n${tail}`,
  );
  assert.deepEqual(got, [
    '3:47 variants[0].malloc_conf',
    '4:47 variants[1].malloc_conf',
    '5:47 variants[2].malloc_conf',
  ]);
  for (const conf of ['dirty_decay_ms:99999999999999999', 'narenas:4095']) {
    assert.throws(
      () => parseMallocConf(conf),
      (e: unknown) => e instanceof UsageError && e.code === 'ERR_MALLOC_CONF',
      conf,
    );
  }
  assert.deepEqual(parseMallocConf('narenas:4094'), [{ key: 'narenas', value: '4094' }]);
});

test('--junit to a place that cannot be written: exit 2 before the run (run) and before the report (report)', async () => {
  const scenario = join(dir, 'tiny.yaml');
  writeFileSync(scenario, tinyScenario());
  const out = join(dir, 'results');
  const places = [join(dir, 'no-such-folder', 'junit.xml'), dir];
  // a writable place is left as it was: the check creates nothing
  const fine = join(dir, 'fine.xml');
  // Side by side: each call is refused before it runs or reports anything.
  const runs = await simloadEach([
    ...places.flatMap((junit) => [
      ['run', scenario, '--out', out, '--quiet', '--junit', junit],
      ['report', FIXTURE_DIR, '--junit', junit],
    ]),
    ['report', join(dir, 'nope'), '--junit', fine],
  ]);
  for (const [i, junit] of places.entries()) {
    const [r, rep] = [runs[2 * i]!, runs[2 * i + 1]!];
    assert.equal(r.code, 2, `${junit}: ${r.stderr}`);
    assert.match(r.stderr, /--junit/);
    assert.equal(rep.code, 2, `${junit}: ${rep.stderr}`);
  }
  assert.equal(existsSync(out), false, 'no run started');
  assert.equal(runs[4]!.code, 2);
  assert.equal(existsSync(fine), false);
});
