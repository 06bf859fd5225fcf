// A variant that is a real skynet (`skynet:`): the short form names a recipe of the peer build, the long form a
// user's own tree (and its jemalloc), relative to the scenario file; mistakes are located at file:line:column, the
// JSON Schema users' editors read accepts both forms, and the variant only runs where a skynet runner is given.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Ajv } from 'ajv';
import YAML from 'yaml';
import { resolveVariant } from '../../src/alloc/variants.js';
import { ExitCode, UsageError } from '../../src/errors.js';
import { checkSkynetRun } from '../../src/fidelity/skynet-run.js';
import { skynetSources } from '../../src/fidelity/skynet-variant.js';
import { skynetPairs } from '../../src/analysis/fidelity.js';
import { requireRunner } from '../../src/run/external-variants.js';
import { parseScenario } from '../../src/scenario/load.js';
import { ScenarioError } from '../../src/scenario/problems.js';
import { scenarioSchema } from '../../src/scenario/schema.js';

const dir = mkdtempSync(join(tmpdir(), 'simload-skynet-variant-'));
const FILE = join(dir, 'mixed.yaml');

/** A scenario whose second variant is `skynet` (the YAML after `skynet:` on line 6). */
function scenario(skynet: string, extra = ''): string {
  return `name: mixed
variants:
  - name: sim
    build: madv-free
  - name: sky
    skynet: ${skynet}${extra}
load:
  phases:
    - ramp: { to: 100, over: 10s }
    - hold: 5s
`;
}

function problems(text: string): string[] {
  try {
    parseScenario(text, FILE);
  } catch (err) {
    assert.ok(err instanceof ScenarioError, `expected ScenarioError, got ${String(err)}`);
    return err.problems.map((p) => `${p.line}:${p.col} ${p.path}: ${p.message}`);
  }
  assert.fail('the scenario was accepted');
}

test('skynet: a recipe of the peer build, or a tree with its jemalloc; malloc_conf applies', () => {
  const s = parseScenario(scenario('madv-free', '\n    malloc_conf: dirty_decay_ms:1000'), FILE);
  assert.deepEqual(s.variants[1], { name: 'sky', skynet: { build: 'madv-free' }, mallocConf: 'dirty_decay_ms:1000' });
  const tree = join(dir, 'myskynet');
  mkdirSync(join(tree, '3rd', 'jemalloc'), { recursive: true });
  writeFileSync(join(tree, '3rd', 'jemalloc', 'configure.ac'), '');
  const long = parseScenario(scenario('{ build: no-madv-free, tree: myskynet }'), FILE);
  assert.deepEqual(long.variants[1]!.skynet, { build: 'no-madv-free', tree, jemalloc: join(tree, '3rd', 'jemalloc') });
  // A tree builds from itself, not from the peer sources, whatever the environment says.
  assert.deepEqual(skynetSources(long.variants[1]!, { SKYNET_SRC: '/nonexistent' }), {
    skynet: tree,
    jemalloc: join(tree, '3rd', 'jemalloc'),
  });
  const tarball = join(dir, 'skynet.tar.gz');
  writeFileSync(tarball, 'x');
  const je = join(dir, 'jemalloc.tar.bz2');
  writeFileSync(je, 'x');
  assert.deepEqual(
    parseScenario(scenario(`{ build: madv-free, tree: ${tarball}, jemalloc: jemalloc.tar.bz2 }`), FILE).variants[1]!
      .skynet,
    { build: 'madv-free', tree: tarball, jemalloc: je },
  );
  // The report pairs each skynet variant with the simload variants of its build.
  assert.deepEqual(skynetPairs(s), [{ simload: 'sim', skynet: 'sky', build: 'madv-free' }]);
  assert.deepEqual(skynetPairs(long), []);
});

test('skynet: mistakes are located at file:line:column', () => {
  mkdirSync(join(dir, 'empty-tree', '3rd', 'jemalloc'), { recursive: true });
  writeFileSync(join(dir, 'a.tar.gz'), 'x');
  assert.deepEqual(problems(scenario('madv-fre')), [
    '6:13 variants[1].skynet: expected madv-free, no-madv-free, or {build: madv-free, tree: PATH, jemalloc: PATH}',
  ]);
  assert.deepEqual(problems(scenario('{ build: madv-free, tre: x }')), [
    '6:33 variants[1].skynet.tre: unknown key "tre" (did you mean "tree"?)',
  ]);
  assert.deepEqual(problems(scenario('{ tree: x }')), ['6:13 variants[1].skynet: missing required key "build"']);
  assert.deepEqual(problems(scenario('madv-free', '\n    build: madv-free')), [
    '7:12 variants[1].build: does not apply to a real skynet (`skynet:` builds skynet with its own jemalloc)',
  ]);
  assert.deepEqual(problems(scenario('{ build: madv-free, tree: nowhere }')), [
    `6:39 variants[1].skynet.tree: no such skynet source: ${join(dir, 'nowhere')}`,
  ]);
  assert.deepEqual(problems(scenario('{ build: madv-free, tree: empty-tree }')), [
    `6:39 variants[1].skynet.tree: ${join(dir, 'empty-tree', '3rd', 'jemalloc')} is missing or empty (a git submodule not checked out? run \`git submodule update --init\` in your skynet tree), or give \`jemalloc: PATH\``,
  ]);
  assert.deepEqual(problems(scenario('{ build: madv-free, tree: a.tar.gz }')), [
    `6:39 variants[1].skynet.tree: ${join(dir, 'a.tar.gz')} is a tarball: give its jemalloc too (\`jemalloc: PATH\`, a source tree or release tarball)`,
  ]);
  assert.deepEqual(problems(scenario('{ build: madv-free, jemalloc: a.tar.gz }')), [
    '6:43 variants[1].skynet.jemalloc: goes with `tree:` (your skynet); the peer build brings its own jemalloc',
  ]);
});

test('the exported JSON Schema accepts both forms and refuses a misspelt recipe', () => {
  const validate = new Ajv({ strict: false, allowUnionTypes: true }).compile(scenarioSchema());
  assert.equal(validate(YAML.parse(scenario('no-madv-free'))), true, JSON.stringify(validate.errors));
  assert.equal(
    validate(YAML.parse(scenario('{ build: madv-free, tree: x, jemalloc: y }'))),
    true,
    JSON.stringify(validate.errors),
  );
  assert.equal(validate(YAML.parse(scenario('glibc'))), false);
});

test('a skynet variant runs only where a skynet runner is given: exit 2 elsewhere (plan, serve, fidelity)', () => {
  const s = parseScenario(scenario('madv-free'), FILE);
  assert.throws(
    () => requireRunner(s, s.variants, undefined),
    (e: unknown) =>
      e instanceof UsageError &&
      e.code === 'ERR_SKYNET_VARIANT' &&
      e.exitCode === ExitCode.usage &&
      e.message.endsWith('--variants sim'),
  );
  assert.equal(requireRunner(s, [s.variants[0]!], undefined), null);
  assert.throws(
    () => resolveVariant(s.variants[1]!),
    (e: unknown) => e instanceof UsageError && e.code === 'ERR_SKYNET_VARIANT',
  );
  // `simload fidelity` puts simload variants beside skynet runs of their own: a scenario that has a skynet already is `simload run`'s.
  assert.throws(
    () => checkSkynetRun(s, { script: FILE }),
    (e: unknown) => e instanceof UsageError && e.code === 'ERR_FIDELITY_VARIANT' && e.exitCode === ExitCode.usage,
  );
});
