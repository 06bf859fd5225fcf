// The live page in real headless Chromium during a real short run: the charts change between two moments as
// samples arrive, the status shows the phase and the validity so far, and the page ends as the run's report
// with its verdict.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Page } from 'playwright-core';
import { runScenario } from '../../src/run/run.js';
import { loadScenario } from '../../src/scenario/load.js';
import { LiveOutputs } from '../../src/live/outputs.js';
import { CHROMIUM, CHROMIUM_ARGS } from '../report/chromium.js';
import { tinyScenario, tinyScenarioFile } from '../run/fixtures.js';

interface Moment {
  updates: number;
  /** Points of each series of the memory chart. */
  points: number[];
  /** A checksum of the memory chart's canvas pixels. */
  pixels: number;
  rows: Array<{ variant: string; phase: string; valid: string }>;
}

function moment(page: Page): Promise<Moment> {
  return page.evaluate(() => {
    type Canvas = {
      width: number;
      height: number;
      getContext(k: '2d'): { getImageData(x: number, y: number, w: number, h: number): { data: Uint8ClampedArray } };
    };
    type El = { getAttribute(n: string): string | null };
    const g = globalThis as unknown as {
      simloadLive: { updates: number };
      simloadCharts: Array<{
        getDom(): { id: string; querySelector(s: string): Canvas | null };
        getOption(): { series: Array<{ data: unknown[] }> };
      }>;
      document: { querySelectorAll(s: string): El[] };
    };
    const mem = g.simloadCharts.find((c) => c.getDom().id === 'chart-memory')!;
    const canvas = mem.getDom().querySelector('canvas')!;
    const px = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
    let sum = 0;
    for (let i = 0; i < px.length; i += 7) sum = (sum * 31 + px[i]!) % 1_000_000_007;
    const rows = [...g.document.querySelectorAll('#status tr[data-variant]')].map((r) => ({
      variant: r.getAttribute('data-variant')!,
      phase: r.getAttribute('data-phase')!,
      valid: r.getAttribute('data-valid')!,
    }));
    return {
      updates: g.simloadLive.updates,
      points: mem.getOption().series.map((s) => s.data.length),
      pixels: sum,
      rows,
    };
  });
}

test(
  'the live page draws the charts as samples arrive, then shows the report and the verdict',
  { skip: existsSync(CHROMIUM) ? false : `${CHROMIUM} is missing (apt-get install chromium)`, timeout: 180_000 },
  async () => {
    const { dir, file } = await tinyScenarioFile(tinyScenario({ holdMs: 6000 }));
    const { scenario, text } = await loadScenario(file);
    const live = new LiveOutputs({ metrics: null, page: { host: '127.0.0.1', port: 0, exposed: false } });
    await live.start();
    const profile = await mkdtemp(join(tmpdir(), 'simload-chromium-'));
    const ctx = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      args: CHROMIUM_ARGS,
      viewport: { width: 1280, height: 900 },
    });
    const run = runScenario(scenario, text, { outDir: join(dir, 'results'), quiet: true, live });
    try {
      const page = await ctx.newPage();
      const problems: string[] = [];
      const requests: string[] = [];
      page.on('pageerror', (e) => problems.push(e.message));
      page.on('request', (r) => requests.push(r.url()));
      await page.goto(live.urls.page!, { waitUntil: 'load' });
      const origin = new URL(live.urls.page!).origin;

      // Moment one: the page has drawn a few samples of the run.
      await page.waitForFunction(
        () => {
          const g = globalThis as unknown as {
            simloadCharts?: Array<{ getOption(): { series: Array<{ data: unknown[] }> } }>;
          };
          return (g.simloadCharts?.[0]?.getOption().series[0]?.data.length ?? 0) >= 3;
        },
        undefined,
        { timeout: 60_000 },
      );
      const one = await moment(page);
      // Moment two: at least four more samples later (250 ms apart), still during the run.
      await page.waitForFunction(
        (n) => {
          const g = globalThis as unknown as {
            simloadCharts: Array<{ getOption(): { series: Array<{ data: unknown[] }> } }>;
          };
          return (g.simloadCharts[0]!.getOption().series[0]?.data.length ?? 0) >= n + 4;
        },
        one.points[0]!,
        { timeout: 60_000 },
      );
      const two = await moment(page);
      assert.ok(two.updates > one.updates, `updates ${one.updates} then ${two.updates}`);
      assert.ok(two.points[0]! >= one.points[0]! + 4, `Rss points ${one.points[0]} then ${two.points[0]}`);
      assert.notEqual(two.pixels, one.pixels, 'the memory chart was redrawn with the new samples');
      // The status: the variant, its phase, and the validity so far (judged: true or false, never "not judged").
      assert.equal(two.rows.length, 1);
      assert.equal(two.rows[0]!.variant, 'glibc');
      assert.match(two.rows[0]!.phase, /^(baseline|ramp|hold|done)$/);
      assert.match(two.rows[0]!.valid, /^(true|false)$/);

      // The end: the page loads the run's report, with the verdict the run returned.
      const r = await run;
      await page.waitForSelector('#simload-verdict', { timeout: 30_000 });
      const verdict = await page.evaluate(() => {
        const g = globalThis as unknown as {
          document: { querySelector(s: string): { getAttribute(n: string): string | null } | null; title: string };
          simloadCharts?: unknown[];
        };
        const el = g.document.querySelector('#simload-verdict')!;
        return {
          exitCode: el.getAttribute('data-exit-code'),
          outcome: el.getAttribute('data-outcome'),
          title: g.document.title,
          charts: g.simloadCharts?.length ?? 0,
        };
      });
      assert.equal(Number(verdict.exitCode), r.exitCode);
      assert.equal(verdict.outcome, r.exitCode === 0 ? 'ok' : r.exitCode === 4 ? 'invalid' : verdict.outcome);
      assert.equal(verdict.title, 'simload: tiny');
      // report.html's own charts: memory, retention, the breakdown, latency.
      assert.ok(verdict.charts >= 4, `${verdict.charts} charts in the final report`);
      assert.deepEqual(problems, []);
      assert.deepEqual(
        requests.filter((u) => !u.startsWith(origin)),
        [],
        'the page fetched nothing beyond the live server',
      );
    } finally {
      await run.catch(() => undefined);
      await live.close();
      await ctx.close();
      await rm(profile, { recursive: true, force: true });
    }
  },
);
