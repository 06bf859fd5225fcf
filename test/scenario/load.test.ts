import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Ajv } from 'ajv';
import { ExitCode, UsageError } from '../../src/errors.js';
import { loadScenario, parseScenario } from '../../src/scenario/load.js';
import { ScenarioError } from '../../src/scenario/problems.js';
import { resolveVariant } from '../../src/alloc/variants.js';
import { scenarioSchema } from '../../src/scenario/schema.js';

const VALID = `name: t
variants:
  - name: a
    build: madv-free
    malloc_conf: dirty_decay_ms:10000,muzzy_decay_ms:10000
load:
  phases:
    - ramp: { to: 100, over: 10s }
    - hold: 5s
    - ramp: { to: 33%, over: 5s }
    - hold: { for: 20s, rate: 0 }
`;

/** The problems of `text` as `line:col path: message` strings (file name stripped). */
function problems(text: string): string[] {
  try {
    parseScenario(text, 'ramp.yaml');
  } catch (err) {
    assert.ok(err instanceof ScenarioError, `expected ScenarioError, got ${String(err)}`);
    return err.problems.map((p) => `${p.line}:${p.col} ${p.path}: ${p.message}`);
  }
  assert.fail('the scenario was accepted');
}

/** Replace line `n` (1-based) of VALID. */
function withLine(n: number, line: string): string {
  const lines = VALID.split('\n');
  lines[n - 1] = line;
  return lines.join('\n');
}

test('a valid scenario resolves units, percentages and defaults', () => {
  const s = parseScenario(VALID, 'ramp.yaml');
  assert.equal(s.name, 't');
  assert.deepEqual(s.load.phases, [
    { kind: 'ramp', to: { count: 100 }, durationMs: 10_000 },
    { kind: 'hold', durationMs: 5000 },
    { kind: 'ramp', to: { fractionOfPeak: 0.33 }, durationMs: 5000 },
    { kind: 'hold', durationMs: 20_000, rate: 0 },
  ]);
  assert.deepEqual(s.variants, [
    { name: 'a', build: 'madv-free', mallocConf: 'dirty_decay_ms:10000,muzzy_decay_ms:10000' },
  ]);
  assert.equal(s.record.intervalMs, 1000);
  assert.equal(s.output.dir, 'results');
  assert.equal(s.server.host, '127.0.0.1');
  assert.ok(s.server.threads >= 1);
});

test('unknown key: located at the key, with a suggestion', () => {
  assert.deepEqual(problems(withLine(5, '    maloc_conf: x:1')), [
    '5:5 variants[0].maloc_conf: unknown key "maloc_conf" (did you mean "malloc_conf"?)',
  ]);
  assert.deepEqual(problems(VALID + 'recrd: { interval: 1s }\n'), [
    '12:1 recrd: unknown key "recrd" (did you mean "record"?)',
  ]);
});

test('wrong type and out-of-range numbers', () => {
  assert.deepEqual(problems(VALID + 'server: { threads: eight }\n'), [
    '12:20 server.threads: expected a whole number, got "eight"',
  ]);
  assert.deepEqual(problems(VALID + 'server: { threads: 0 }\n'), ['12:20 server.threads: must be >= 1, got 0']);
  assert.deepEqual(problems(VALID + 'server: { agent: pol }\n'), [
    '12:18 server.agent: expected one of per-player, pool, got "pol" (did you mean "pool"?)',
  ]);
});

test('a target that is neither a count nor a percentage', () => {
  assert.deepEqual(problems(withLine(10, '    - ramp: { to: lots, over: 5s }')), [
    '10:19 load.phases[2].ramp.to: expected a count or a percentage',
  ]);
});

test('bad durations and sizes', () => {
  assert.deepEqual(problems(withLine(9, '    - hold: 5 seconds')), [
    '9:13 load.phases[1].hold: expected a duration (hold: 20s) or {for: 60s, rate: 0}',
  ]);
  assert.deepEqual(problems(withLine(8, '    - ramp: { to: 100, over: soon }')), [
    '8:30 load.phases[0].ramp.over: expected a duration such as 30s, 2m or 250ms',
  ]);
  assert.deepEqual(problems(VALID + 'server:\n  max_frame: 12 parsecs\n'), [
    '13:14 server.max_frame: expected a size such as 64KiB, 1.5GiB or 4096',
  ]);
});

test('a hold mapping with a misspelt key keeps the specific error', () => {
  assert.deepEqual(problems(withLine(11, '    - hold: { for: 20s, rat: 0 }')), [
    '11:25 load.phases[3].hold.rat: unknown key "rat" (did you mean "rate"?)',
  ]);
});

test('missing keys and a phase of an unknown kind', () => {
  assert.deepEqual(problems(withLine(8, '    - ramp: { to: 100 }')), [
    '8:13 load.phases[0].ramp: missing required key "over"',
  ]);
  assert.deepEqual(problems(withLine(9, '    - hodl: 5s')), [
    '9:7 load.phases[1].hodl: unknown key "hodl" (did you mean "hold"?)',
  ]);
  assert.deepEqual(problems('name: t\nvariants: [{name: a, build: glibc}]\n'), [
    '1:1 : missing required key "load"'.replace(' : ', ' : '),
  ]);
});

test('a ramp to a percentage before any absolute peak', () => {
  const text = withLine(8, '    - ramp: { to: 50%, over: 10s }\n    - ramp: { to: 100, over: 10s }');
  assert.deepEqual(problems(text), [
    '8:19 load.phases[0].ramp.to: 50% of the peak, but no earlier phase ramps to an absolute count above 0: ramp to a count first',
  ]);
  assert.deepEqual(problems(withLine(10, '    - ramp: { to: 150%, over: 5s }')), [
    '10:19 load.phases[2].ramp.to: a percentage of the peak must be at most 100%, got 150% (ramp to a count to go higher)',
  ]);
  const idle = withLine(8, '    - ramp: { to: 0, over: 10s }').replace('to: 33%', 'to: 0');
  assert.deepEqual(problems(idle), ['8:5 load.phases: no phase brings a player online: ramp to a count above 0']);
});

test('unknown builds, duplicate variants, build and lib together', () => {
  assert.deepEqual(problems(withLine(4, '    build: madv-fre')), [
    '4:12 variants[0].build: unknown build "madv-fre" (did you mean "madv-free"?) (known: madv-free, no-madv-free, glibc)',
  ]);
  const dup = VALID.replace('load:', '  - name: a\n    build: glibc\nload:');
  assert.deepEqual(problems(dup), ['6:11 variants[1].name: "a" is already the name of variants[0]']);
  assert.deepEqual(problems(withLine(5, '    lib: /nonexistent/libjemalloc.so')), [
    '3:5 variants[0]: give either `build:` or `lib:`, not both',
    '5:10 variants[0].lib: no such file: /nonexistent/libjemalloc.so',
  ]);
  assert.deepEqual(problems(withLine(5, '    malloc_conf: dirty_decay_ms:10000,muzy_decay_ms:5')), [
    '5:18 variants[0].malloc_conf: unknown jemalloc option "muzy_decay_ms" (did you mean "muzzy_decay_ms"?)',
  ]);
});

test('expect rules: unknown metric, bad value, unknown variant', () => {
  const text = VALID + 'expect:\n  - retension < 0.6\n  - p99 < fast\n  - b: [retention < 0.5]\n';
  assert.deepEqual(problems(text), [
    '13:5 expect[0]: unknown metric "retension" (did you mean "retention"?) (known: ' +
      problems(text)[0]!.split('(known: ')[1],
    '14:5 expect[1]: p99 needs a duration such as 50ms or 30s, got "fast"',
    '15:5 expect[2].b: no variant named "b" (variants: a)',
  ]);
  const ok = parseScenario(VALID + 'expect:\n  - retention < 60%\n  - a: [p99 <= 50ms, peak_rss < 2GiB]\n', 'x.yaml');
  assert.deepEqual(
    ok.expect.map((r) => [r.variant, r.metric, r.op, r.value]),
    [
      [null, 'retention', '<', 0.6],
      ['a', 'p99', '<=', 50],
      ['a', 'peak_rss', '<', 2 * 1024 ** 3],
    ],
  );
});

test('YAML syntax errors and tags are reported with their position; nothing is constructed', () => {
  assert.deepEqual(problems(VALID + 'name: again\n'), ['12:1 : YAML: Map keys must be unique']);
  assert.deepEqual(problems(VALID + 'description: !!js/function "function () { return 1 }"\n'), [
    '12:14 description: YAML tag !!js/function is not allowed: a scenario is plain data and nothing in it runs code',
  ]);
  assert.deepEqual(problems(withLine(5, '    malloc_conf: !env MALLOC_CONF')), [
    '5:18 variants[0].malloc_conf: YAML tag !env is not allowed: a scenario is plain data and nothing in it runs code',
  ]);
  // They come first and alone (README, docs/scenario.md): an unknown build beside a tag is not read yet.
  assert.deepEqual(
    problems(VALID.replace('build: madv-free', 'build: jemalloc') + 'description: !!js/function "f"\n'),
    ['12:14 description: YAML tag !!js/function is not allowed: a scenario is plain data and nothing in it runs code'],
  );
  assert.notDeepEqual(problems(VALID.replace('build: madv-free', 'build: jemalloc')), [], 'the unknown build alone');
});

test('every problem at once, in file order, as a usage error (exit 2) with file:line:col', () => {
  const text =
    VALID.replace('build: madv-free', 'build: jemalloc').replace('hold: 5s', 'hold: -5s') +
    'server: { host: 0.0.0.0 }\n';
  let caught: unknown;
  try {
    parseScenario(text, 'scenarios/bad.yaml');
  } catch (err) {
    caught = err;
  }
  assert.ok(caught instanceof ScenarioError);
  assert.ok(caught instanceof UsageError);
  assert.equal(caught.exitCode, ExitCode.usage);
  assert.equal(caught.code, 'ERR_SCENARIO');
  const lines = caught.message.split('\n');
  assert.equal(lines[0], '3 problems in the scenario:');
  assert.match(lines[1]!, /^ {2}scenarios\/bad\.yaml:4:12 variants\[0\]\.build: unknown build "jemalloc"/);
  assert.match(lines[2]!, /^ {2}scenarios\/bad\.yaml:9:13 load\.phases\[1\]\.hold: expected a duration/);
  assert.match(lines[3]!, /^ {2}scenarios\/bad\.yaml:12:17 server\.host: simload only serves on loopback/);
});

test('loadScenario: a missing file is a usage error naming it', async () => {
  await assert.rejects(
    loadScenario('/nonexistent/ramp.yaml'),
    (err: unknown) => err instanceof UsageError && /\/nonexistent\/ramp\.yaml: no such file/.test(err.message),
  );
});

test('the exported JSON Schema compiles and accepts every shipped scenario', async () => {
  const ajv = new Ajv({ strict: false });
  const validate = ajv.compile(scenarioSchema());
  const YAML = await import('yaml');
  const dir = join(process.cwd(), 'scenarios');
  const files = (await readdir(dir)).filter((f) => f.endsWith('.yaml'));
  assert.ok(files.length >= 5, `expected the shipped scenarios in ${dir}`);
  // seed.yaml takes its 5.0.1 source from the environment: a user who never set it can still load the file.
  const saved = process.env['SIMLOAD_JEMALLOC_5_0_1'];
  delete process.env['SIMLOAD_JEMALLOC_5_0_1'];
  try {
    for (const f of files) {
      const { scenario, text } = await loadScenario(join(dir, f));
      assert.ok(validate(YAML.parse(text)), `${f}: ${JSON.stringify(validate.errors)}`);
      assert.ok(scenario.load.phases.length > 0);
      const unresolved = scenario.variants.filter((v) => v.unresolved !== undefined).map((v) => v.name);
      assert.deepEqual(unresolved, f === 'seed.yaml' ? ['je501-madv-free', 'je501-no-madv-free'] : [], f);
    }
  } finally {
    if (saved !== undefined) process.env['SIMLOAD_JEMALLOC_5_0_1'] = saved;
  }
  // And rejects what the loader rejects structurally.
  assert.equal(
    validate({ name: 'x', variants: [{ name: 'a', build: 'glibc' }], load: { phases: [{ hodl: '5s' }] } }),
    false,
  );
});

test('jemalloc: a source path relative to the scenario file, or ${NAME} from the environment', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'simload-scn-'));
  await writeFile(join(dir, 'je.tar.bz2'), '');
  await writeFile(
    join(dir, 's.yaml'),
    VALID.replace('build: madv-free', 'build: madv-free\n    jemalloc: ./je.tar.bz2'),
  );
  assert.equal((await loadScenario(join(dir, 's.yaml'))).scenario.variants[0]!.jemalloc, join(dir, 'je.tar.bz2'));
  // An unset variable: the file is valid, its variant cannot run (and says why, with the line).
  await writeFile(
    join(dir, 'e.yaml'),
    VALID.replace('build: madv-free', 'build: madv-free\n    jemalloc: ${SIMLOAD_TEST_JE_UNSET}'),
  );
  delete process.env['SIMLOAD_TEST_JE_UNSET'];
  const e = (await loadScenario(join(dir, 'e.yaml'))).scenario.variants[0]!;
  assert.equal(e.jemalloc, undefined);
  assert.match(
    e.unresolved ?? '',
    /e\.yaml:5:15 variants\[0\]\.jemalloc: \$\{SIMLOAD_TEST_JE_UNSET\} is not set: export SIMLOAD_TEST_JE_UNSET=PATH/,
  );
  assert.throws(
    () => resolveVariant(e),
    (err: unknown) => err instanceof UsageError && err.code === 'ERR_SCENARIO_ENV' && err.exitCode === ExitCode.usage,
  );
  // With the other problems of the file, it is reported beside them only as what it is: the others fail the load.
  await writeFile(
    join(dir, 'e2.yaml'),
    VALID.replace('build: madv-free', 'build: madv-free\n    jemalloc: ${SIMLOAD_TEST_JE_UNSET}').replace(
      'hold: 5s',
      'hold: 5 parsecs',
    ),
  );
  await assert.rejects(
    loadScenario(join(dir, 'e2.yaml')),
    (err: unknown) =>
      err instanceof ScenarioError && err.problems.length === 1 && err.problems[0]!.path === 'load.phases[1].hold',
  );
  process.env['SIMLOAD_TEST_JE_SET'] = join(dir, 'je.tar.bz2');
  await writeFile(
    join(dir, 'f.yaml'),
    VALID.replace('build: madv-free', 'build: madv-free\n    jemalloc: ${SIMLOAD_TEST_JE_SET}'),
  );
  assert.equal((await loadScenario(join(dir, 'f.yaml'))).scenario.variants[0]!.jemalloc, join(dir, 'je.tar.bz2'));
  await writeFile(join(dir, 'g.yaml'), VALID.replace('build: madv-free', 'build: glibc\n    jemalloc: ./je.tar.bz2'));
  await assert.rejects(
    loadScenario(join(dir, 'g.yaml')),
    /variants\[0\]\.jemalloc: a jemalloc source goes with `build: madv-free` or `build: no-madv-free`/,
  );
  await writeFile(
    join(dir, 'h.yaml'),
    VALID.replace('build: madv-free', 'build: madv-free\n    jemalloc: ./missing.tar.bz2'),
  );
  await assert.rejects(loadScenario(join(dir, 'h.yaml')), /no such jemalloc source: .*missing\.tar\.bz2/);
});

test('relative lib: paths start at the scenario file', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'simload-scn-'));
  await writeFile(join(dir, 'libmine.so'), '');
  await writeFile(join(dir, 's.yaml'), VALID.replace('build: madv-free', 'lib: ./libmine.so\n    prefix: je_'));
  const { scenario } = await loadScenario(join(dir, 's.yaml'));
  assert.equal(scenario.variants[0]!.lib, join(dir, 'libmine.so'));
  assert.equal(scenario.variants[0]!.prefix, 'je_');
});

test('nothing in a scenario runs code: env NODE_OPTIONS and friends are refused at their line', () => {
  const text = VALID.replace(
    '    malloc_conf: dirty_decay_ms:10000,muzzy_decay_ms:10000',
    '    env: { NODE_OPTIONS: "--require /tmp/evil.cjs", LD_LIBRARY_PATH: /tmp, MALLOC_ARENA_MAX: "2" }',
  );
  const got = problems(text);
  assert.equal(got.length, 2, got.join('\n'));
  assert.match(got[0]!, /^5:26 variants\[0\]\.env\.NODE_OPTIONS: NODE_OPTIONS is not allowed: .*--require/);
  assert.match(got[1]!, /^5:\d+ variants\[0\]\.env\.LD_LIBRARY_PATH: LD_LIBRARY_PATH is not allowed/);
  // An allowed tunable passes through.
  const ok = parseScenario(
    VALID.replace('    malloc_conf: dirty_decay_ms:10000,muzzy_decay_ms:10000', '    env: { MALLOC_ARENA_MAX: "2" }'),
    'ramp.yaml',
  );
  assert.deepEqual(ok.variants[0]!.env, { MALLOC_ARENA_MAX: '2' });
});

test('numbers Node or the OS cannot take are refused in validation, with file:line:col', () => {
  assert.deepEqual(problems(VALID + 'record:\n  interval: 600h\n'), [
    '13:13 record.interval: must be at most 2147483647 ms (about 24.8 days, the longest timer Node can set), got 2160000000 ms',
  ]);
  assert.match(problems(VALID + 'server:\n  threads: 65\n')[0]!, /^13:12 server\.threads: must be <= 64, got 65/);
  assert.match(
    problems(VALID.replace('load:\n', 'load:\n  rate: 1e308\n'))[0]!,
    /^7:9 load\.rate: must be at most 1000 messages per player per second, got 1e\+308/,
  );
  assert.match(
    problems(withLine(5, `    malloc_conf: "${'dirty_decay_ms:1,'.repeat(13000)}x:1"`))[0]!,
    /^5:18 variants\[0\]\.malloc_conf: must be at most 4096 characters, got 221003/,
  );
  assert.match(
    problems(`description: "${'x'.repeat(70 * 1024)}"\n` + VALID)[0]!,
    /^1:14 description: must be at most 64\.0 KiB/,
  );
});

test('server.free_first_workers: at most server.threads, carried into the server options', () => {
  const text = (n: number, threads = '') => `server:\n${threads}  free_first_workers: ${n}\n` + VALID;
  assert.deepEqual(problems(text(3, '  threads: 2\n')), [
    '3:23 server.free_first_workers: must be at most server.threads (2), got 3',
  ]);
  assert.deepEqual(
    problems(text(9)),
    ['2:23 server.free_first_workers: must be at most server.threads (8), got 9'],
    'against the default 8 threads',
  );
  assert.equal(parseScenario(text(2), 's.yaml').server.freeFirstWorkers, 2);
  assert.equal(
    parseScenario(VALID, 's.yaml').server.freeFirstWorkers,
    undefined,
    'default: every worker starts with an allocation',
  );
});
