// `simload export locust` without Locust running: the timeline is the driver's, scenario strings reach Python
// only as literals (checked by Python itself), unsupported phases and bad flags are refused with where and why.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { LOCUST_BODY_PATH, locustfile } from '../../src/export/locust.js';
import { simloadEach } from '../helpers/cli.js';
import { pyString } from '../../src/export/python.js';
import { phaseAt, timeline } from '../../src/export/schedule.js';
import { rampShape } from '../../src/driver/shapes/ramp.js';
import { loadScenario, parseScenario } from '../../src/scenario/load.js';
import { PYTHON, locustMissing } from './swarm.js';

const BIN = fileURLToPath(new URL('../../../bin/simload.js', import.meta.url));
const RAMP = fileURLToPath(new URL('../../../scenarios/ramp.yaml', import.meta.url));
const noPython = existsSync(PYTHON) ? false : `${PYTHON} not installed`;

function scenarioText(name: string, phases: string): string {
  return `name: ${JSON.stringify(name)}
variants:
  - name: glibc
    build: glibc
load:
  rate: 0.5
  think_time: 250ms
  phases:
${phases}
`;
}

test("the timeline is the driver's: ramp.yaml's 33% of the peak, phase starts, targets mid-ramp", async () => {
  const { scenario } = await loadScenario(RAMP);
  const tl = timeline(scenario);
  assert.deepEqual(
    tl.segments.map((g) => [g.kind, g.startMs, g.durationMs, g.from, g.to]),
    [
      ['ramp', 0, 30_000, 0, 8000],
      ['hold', 30_000, 15_000, 8000, 8000],
      ['ramp', 45_000, 5000, 8000, 2640],
      ['hold', 50_000, 50_000, 2640, 2640],
    ],
  );
  assert.equal(tl.endMs, 100_000);
  assert.equal(tl.baselineMs, 3000);
  // Mid-ramp the target is what the ramp shape itself says at that moment.
  const p2 = scenario.load.phases[2]!;
  const ctx = { peak: 8000, startCount: 8000 } as Parameters<typeof rampShape.target>[2];
  assert.deepEqual(phaseAt(scenario, tl, 47_500), {
    phaseIndex: 2,
    phase: 'ramp',
    target: rampShape.target(p2 as never, 2500, ctx),
  });
  assert.equal(phaseAt(scenario, tl, 47_500).target, 5320);
  assert.deepEqual(phaseAt(scenario, tl, -1), { phaseIndex: -1, phase: 'baseline', target: 0 });
  assert.deepEqual(phaseAt(scenario, tl, 100_000), { phaseIndex: 4, phase: 'done', target: 2640 });
});

test('a pressure phase is refused at its file:line:col, exit 2', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'simload-export-'));
  const file = join(dir, 'p.yaml');
  await writeFile(
    file,
    scenarioText('p', '    - ramp: { to: 10, over: 1s }\n    - pressure: { limit: 1GiB, for: 5s }\n'),
  );
  const r = spawnSync(process.execPath, [BIN, 'export', 'locust', file], { encoding: 'utf8' });
  assert.equal(r.status, 2);
  assert.match(
    r.stderr,
    new RegExp(
      `${file.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}:10:7 load\\.phases\\[1\\]: a pressure phase cannot be exported`,
    ),
  );
  assert.equal(r.stdout, '', 'nothing written');
});

test('--players-per-connection outside 1..4096 and an unknown format exit 2 with the reason', async () => {
  const [zero, big, fmt] = await simloadEach([
    ['export', 'locust', RAMP, '--players-per-connection', '0'],
    ['export', 'locust', RAMP, '--players-per-connection', '5000'],
    ['export', 'k6', RAMP],
  ]);
  assert.equal(zero!.code, 2);
  assert.match(zero!.stderr, /--players-per-connection 0: give a whole number from 1 .* to 4096/);
  assert.equal(big!.code, 2);
  assert.equal(fmt!.code, 2);
  assert.match(fmt!.stderr, /Choices: "locust"/);
});

test('scenario strings reach Python as literals equal to them, never as code', { skip: noPython }, async () => {
  const nasty = [
    'plain',
    'quote " and \' and """ and \\ backslash',
    'new\nline\r\tand \u0000 nul',
    '"\nimport os\nos.system("touch /tmp/simload-pwned")\n#',
    'é ü 中文 \u2028 \u2029 😀',
    '{__import__("os")} %s {0}',
  ];
  // Python itself reads each literal back; JSON carries the value home (a lone surrogate included).
  const py = `import json\nprint(json.dumps([${[...nasty, 'lone \ud800'].map(pyString).join(', ')}]))`;
  const r = spawnSync(PYTHON, ['-c', py], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  assert.deepEqual(JSON.parse(r.stdout), [...nasty, 'lone \ud800']);

  // A whole locustfile for a scenario named with code: it compiles, and its name is that string.
  const name = nasty[3]!;
  const s = parseScenario(scenarioText(name, '    - ramp: { to: 10, over: 1s }\n    - hold: 1s\n'), 'nasty.yaml');
  const dir = await mkdtemp(join(tmpdir(), 'simload-export-'));
  const file = join(dir, 'nasty_locust.py');
  await writeFile(file, locustfile(s, { playersPerConnection: 1 }));
  const check = `import ast, json\ntree = ast.parse(open(${JSON.stringify(file)}).read())\nvals = {t.targets[0].id: ast.literal_eval(t.value) for t in tree.body if isinstance(t, ast.Assign) and isinstance(t.targets[0], ast.Name) and t.targets[0].id in ("SCENARIO_NAME", "PLAYER_PREFIX", "PHASES")}\nprint(json.dumps(vals))`;
  const c = spawnSync(PYTHON, ['-c', check], { encoding: 'utf8' });
  assert.equal(c.status, 0, c.stderr);
  const vals = JSON.parse(c.stdout) as { SCENARIO_NAME: string; PLAYER_PREFIX: string; PHASES: Array<{ to: number }> };
  assert.equal(vals.SCENARIO_NAME, name);
  assert.match(vals.PLAYER_PREFIX, /^[A-Za-z0-9._-]{1,40}$/);
  assert.deepEqual(
    vals.PHASES.map((p) => p.to),
    [10, 10],
  );
  assert.ok(!existsSync('/tmp/simload-pwned'));
});

test('the CLI writes a locustfile Python compiles, plain and multiplexed', { skip: noPython }, async () => {
  const dir = await mkdtemp(join(tmpdir(), 'simload-export-'));
  for (const n of [1, 500]) {
    const file = join(dir, `ramp_${n}.py`);
    const r = spawnSync(
      process.execPath,
      [BIN, 'export', 'locust', RAMP, '-o', file, '--players-per-connection', String(n)],
      { encoding: 'utf8' },
    );
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stderr, n === 1 ? /one connection per player/ : /500 players per multiplexed connection/);
    const text = await readFile(file, 'utf8');
    assert.match(text, new RegExp(`^PLAYERS_PER_CONNECTION = ${n}$`, 'm'));
    const c = spawnSync(PYTHON, ['-m', 'py_compile', file], { encoding: 'utf8' });
    assert.equal(c.status, 0, c.stderr);
  }
});

test('the shipped locustfile body is Python that compiles on its own', { skip: noPython }, () => {
  const c = spawnSync(
    PYTHON,
    ['-c', 'import sys; compile(open(sys.argv[1]).read(), sys.argv[1], "exec")', LOCUST_BODY_PATH],
    { encoding: 'utf8' },
  );
  assert.equal(c.status, 0, c.stderr);
});

test(
  'a generated locustfile imports under Locust (its shape and user classes defined)',
  { skip: locustMissing() ?? false },
  async () => {
    const dir = await mkdtemp(join(tmpdir(), 'simload-export-'));
    await writeFile(
      join(dir, 'ramp_locust.py'),
      locustfile((await loadScenario(RAMP)).scenario, { playersPerConnection: 1 }),
    );
    const imp = spawnSync(
      PYTHON,
      ['-c', 'import ramp_locust as m; print(len(m.PHASES), m.SimloadShape.__name__, m.SimloadPlayer.__name__)'],
      {
        cwd: dir,
        encoding: 'utf8',
      },
    );
    assert.equal(imp.status, 0, imp.stderr);
    assert.match(imp.stdout, /^[1-9]\d* SimloadShape SimloadPlayer$/m);
  },
);
