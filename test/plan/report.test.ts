// The plan in the console table and in report.html (drawn in real headless Chromium), from fixed data.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cp, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { fitCapacity } from '../../src/plan/fit.js';
import { formatPlanTable } from '../../src/plan/table.js';
import { PLAN_SCHEMA, PLAN_SCHEMA_VERSION, type PlanFile, type PlanPoint } from '../../src/results/plan.js';
import { renderReport } from '../../src/report/render.js';
import { planChartOption } from '../../src/report/plan-section.js';
import { withReportInChromium } from '../report/chromium.js';

const FIXTURE = fileURLToPath(new URL('../../../test/fixtures/run-basic', import.meta.url));
const MiB = 1024 * 1024;

const pts: PlanPoint[] = [
  { players: 1000, peakRss: 250e6, peakUnreclaimable: 240e6, settledRss: 200e6, settledUnreclaimable: 120e6 },
  { players: 2000, peakRss: 400e6, peakUnreclaimable: 380e6, settledRss: 330e6, settledUnreclaimable: 170e6 },
  { players: 3000, peakRss: 580e6, peakUnreclaimable: 520e6, settledRss: 460e6, settledUnreclaimable: 220e6 },
];

function fixedPlan(): PlanFile {
  const points = pts.map((p) => ({
    ...p,
    targetPeak: p.players,
    baselineRss: 60e6,
    settledLazyFree: p.settledRss - p.settledUnreclaimable,
    run: `runs/x-${p.players}`,
    series: `madv-free@${p.players}`,
  }));
  return {
    schema: PLAN_SCHEMA,
    v: PLAN_SCHEMA_VERSION,
    scenario: 'unit',
    status: 'complete',
    budgetBytes: 1e9,
    headroom: 0.1,
    usableBytes: 9e8,
    peaks: [1000, 2000, 3000],
    startedAt: '2024-05-01T12:00:00.000Z',
    durationMs: 125_000,
    variants: [
      {
        variant: 'madv-free',
        points,
        fit: fitCapacity(pts, 1e9, 0.1),
        verify: {
          players: 4969,
          limitBytes: 1e9,
          result: 'passed',
          oomKills: 0,
          peakRss: 880 * MiB,
          peakUnreclaimable: 870 * MiB,
          detail: 'survived',
          run: 'runs/v',
          series: 'madv-free@4969-verify',
        },
        notes: [],
      },
      {
        variant: 'glibc',
        points: points.slice(0, 1),
        fit: null,
        verify: null,
        notes: ['fewer than two runs were measured: no fit'],
      },
    ],
    notes: [],
  };
}

test('console table: measured points and the recommendation with the hand-computed numbers', () => {
  const t = formatPlanTable(fixedPlan());
  const lines = t.split('\n');
  assert.equal(lines[0], 'capacity plan: unit, budget 953.7 MiB, headroom 10% -> usable 858.3 MiB (complete, 2m5s)');
  assert.match(t, /madv-free\s+2000\s+381\.5 MiB\s+362\.4 MiB\s+314\.7 MiB\s+152\.6 MiB\s+162\.1 MiB/);
  // 165000 B/player = 161.1 KiB; base 80e6 = 76.3 MiB; 4969 players, extrapolated; 5714 if reclaimed.
  const rec = lines.find((l) => l.startsWith('madv-free') && l.includes('4969'))!;
  assert.match(
    rec,
    /161\.1 KiB\s+76\.3 MiB\s+0\.997\s+4969 \(extrapolated\)\s+5714\s+858\.2 MiB\s+379\.1 MiB \/ 303\.7 MiB\s+passed at 4969/,
  );
  assert.match(t, /glibc\s+-\s+-\s+-\s+no fit/);
  assert.match(t, /- glibc: fewer than two runs were measured: no fit/);
  assert.match(t, /- madv-free verify: survived/);
});

test('chart option: measured points, fitted lines to beyond the recommendation, budget lines', () => {
  const plan = fixedPlan();
  const opt = planChartOption(plan, plan.variants[0]!) as {
    xAxis: { max: number };
    series: Array<{ name: string; type: string; data: number[][] }>;
  };
  assert.equal(opt.xAxis.max, Math.ceil(5714 * 1.05));
  const peak = opt.series.find((s) => s.name === 'peak Rss (measured)')!;
  assert.deepEqual(peak.data, [
    [1000, 238.4],
    [2000, 381.5],
    [3000, 553.1],
  ]);
  const fit = opt.series.find((s) => s.name === 'peak Rss (fit)')!;
  assert.deepEqual(fit.data[0], [0, 76.3]); // intercept 80e6 B
  assert.deepEqual(opt.series.find((s) => s.name === 'budget')!.data[0], [0, 953.7]);
  assert.deepEqual(opt.series.find((s) => s.name === 'recommended')!.data, [[4969, 858.2]]);
  assert.equal(opt.series.filter((s) => s.type === 'line').length, 6); // 4 fits + budget + usable
});

test(
  'report.html of a folder with plan.json has the plan section, drawn in headless Chromium',
  { timeout: 90_000 },
  async () => {
    const dir = join(await mkdtemp(join(tmpdir(), 'simload-plan-report-')), 'run');
    await cp(FIXTURE, dir, { recursive: true });
    await writeFile(join(dir, 'plan.json'), JSON.stringify(fixedPlan()));
    try {
      const { html } = await renderReport(dir);
      await withReportInChromium(html, async ({ page, problems, charts }) => {
        const plan = charts.filter((c) => c.id.startsWith('chart-plan-'));
        assert.deepEqual(problems, []);
        // glibc has one point (drawn without lines), madv-free the full set.
        assert.deepEqual(
          plan.map((p) => p.id),
          ['chart-plan-0', 'chart-plan-1'],
        );
        assert.equal(plan[0]!.series.length, 4 * 2 + 2 + 2); // points+fits, budget lines, recommended, verify
        for (const p of plan) assert.ok(p.inked > 3000, `${p.id}: only ${p.inked} drawn pixels`);
        const text = await page.locator('table.plan').innerText();
        assert.match(text, /madv-free\s+161\.1 KiB\s+76\.3 MiB\s+0\.997\s+4969 \(extrapolated\)\s+5714/);
      });
    } finally {
      await rm(dirname(dir), { recursive: true, force: true });
    }
  },
);

test('the recommendation says which server model it assumes: agent kind, service library, Lua', async () => {
  // The model as the plan takes it from a shipped scenario, resolved with and without a skynet tree.
  const { loadScenario } = await import('../../src/scenario/load.js');
  const { serverModel } = await import('../../src/results/server-model.js');
  const capacity = fileURLToPath(new URL('../../../scenarios/capacity.yaml', import.meta.url));
  const before = process.env['SKYNET_SRC'];
  process.env['SKYNET_SRC'] = join(tmpdir(), 'no-such-skynet');
  let bare;
  try {
    bare = serverModel((await loadScenario(capacity)).scenario.server)!;
  } finally {
    if (before === undefined) delete process.env['SKYNET_SRC'];
    else process.env['SKYNET_SRC'] = before;
  }
  const t = formatPlanTable({ ...fixedPlan(), model: bare });
  assert.match(
    t,
    /\nassumes: per-player Lua agents running \S*scenarios\/agents\/rpg\.lua, no service library \(a bare Lua VM\), on Debian's Lua 5\.4;/,
  );
  assert.match(t, /\n {2}per-player figures are for a bare Lua VM \(about 14 KiB[^\n]*about 32-36 KiB more per player/);
  const skynet = {
    ...bare,
    serviceLib: '/sk/lualib',
    lua: "skynet's Lua (/sk/3rd/lua)",
    bareNote: null,
    words:
      "per-player Lua agents running rpg.lua, skynet's service library (/sk/lualib), on skynet's Lua (/sk/3rd/lua)",
  };
  const t2 = formatPlanTable({ ...fixedPlan(), model: skynet });
  assert.match(
    t2,
    /\nassumes: per-player Lua agents running rpg\.lua, skynet's service library \(\/sk\/lualib\), on skynet's Lua/,
  );
  assert.doesNotMatch(t2, /bare Lua VM/);
  assert.doesNotMatch(formatPlanTable(fixedPlan()), /assumes:/, 'a plan written before the model says nothing');
});
