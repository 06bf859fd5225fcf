// report.html in real headless Chromium, offline: no console errors, no network, and every chart drawn.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium } from 'playwright-core';
import { renderReport } from '../../src/report/render.js';
import { fixtureCopy } from './helpers.js';

const CHROMIUM = '/usr/bin/chromium';
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

test('report.html opens in headless Chromium with no errors and draws every chart', { timeout: 90_000 }, async () => {
  const dir = await fixtureCopy();
  const { html, summary } = await renderReport(dir);
  assert.equal(summary.variants.length, 3);
  assert.ok(existsSync(CHROMIUM), `${CHROMIUM} is missing: the README's set-up line installs it (apt-get install chromium)`);
  const profile = await mkdtemp(join(tmpdir(), 'simload-chromium-'));
  const ctx = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, headless: true, args: ARGS, offline: true, viewport: { width: 1280, height: 900 } });
  try {
    const page = await ctx.newPage();
    const problems: string[] = [];
    const requests: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error' || m.type() === 'warning') problems.push(`console.${m.type()}: ${m.text()}`);
    });
    page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
    page.on('request', (r) => {
      if (!r.url().startsWith('file:')) requests.push(r.url());
    });
    await page.goto(pathToFileURL(html).href, { waitUntil: 'load' });
    await page.waitForFunction(() => Array.isArray((globalThis as unknown as { simloadCharts?: unknown[] }).simloadCharts));

    const charts = await page.evaluate(() => {
      // Minimal DOM shapes: the test compiles without lib.dom.
      type Canvas = { width: number; height: number; getContext(k: '2d'): { getImageData(x: number, y: number, w: number, h: number): { data: Uint8ClampedArray } } };
      type Dom = { id: string; querySelector(sel: string): Canvas | null };
      const w = globalThis as unknown as { simloadCharts: Array<{ getDom(): Dom; getOption(): { series: Array<{ name: string; data: unknown[] }> } }> };
      return w.simloadCharts.map((c) => {
        const dom = c.getDom();
        const canvas = dom.querySelector('canvas');
        let inked = 0;
        let w0 = 0;
        if (canvas) {
          w0 = canvas.width;
          const px = canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height).data;
          // Pixels that are not transparent and not white: lines, areas, bars, text.
          for (let i = 0; i < px.length; i += 4) if (px[i + 3]! > 0 && (px[i]! < 240 || px[i + 1]! < 240 || px[i + 2]! < 240)) inked++;
        }
        const opt = c.getOption();
        return { id: dom.id, canvasWidth: w0, inked, series: opt.series.map((s) => ({ name: s.name, points: s.data.length })) };
      });
    });
    assert.deepEqual(problems, []);
    assert.deepEqual(requests, [], 'the report must not fetch anything');
    assert.deepEqual(charts.map((c) => c.id), ['chart-memory', 'chart-retention', 'chart-breakdown-0', 'chart-breakdown-1', 'chart-breakdown-2', 'chart-latency']);
    for (const c of charts) {
      assert.ok(c.canvasWidth > 500, `${c.id}: canvas ${c.canvasWidth} px wide`);
      assert.ok(c.inked > 5000, `${c.id}: only ${c.inked} drawn pixels`);
    }
    const memory = charts[0]!;
    // Rss, LazyFree, allocated, online for each of the 3 variants, 51 samples each.
    assert.equal(memory.series.length, 12);
    assert.ok(memory.series.every((s) => s.points === 51));
    assert.ok(memory.series.some((s) => s.name === 'madv-free LazyFree'));
    // madv-free breakdown: 6 stacked parts + the Rss line; glibc: live, LazyFree, rest + Rss.
    assert.equal(charts[2]!.series.length, 7);
    assert.deepEqual(charts[4]!.series.map((s) => s.name), ['live (allocated)', 'LazyFree (MADV_FREE)', 'rest (runtime, outside jemalloc)', 'Rss']);
    assert.match(await page.locator('ul.diagnosis').innerText(), /madv-free kept 90% of its growth.*MADV_FREE/);
  } finally {
    await ctx.close();
    await rm(profile, { recursive: true, force: true });
    await rm(dirname(dir), { recursive: true, force: true });
  }
});
