// report.html in real headless Chromium, offline: no console errors, no network, and every chart drawn.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rm } from 'node:fs/promises';
import { dirname } from 'node:path';
import { renderReport } from '../../src/report/render.js';
import { withReportInChromium } from './chromium.js';
import { fixtureCopy } from '../helpers/run-fixture.js';

test('report.html opens in headless Chromium with no errors and draws every chart', { timeout: 90_000 }, async () => {
  const dir = await fixtureCopy();
  const { html, summary } = await renderReport(dir);
  assert.equal(summary.variants.length, 3);
  try {
    await withReportInChromium(html, async ({ page, problems, requests, charts }) => {
      assert.deepEqual(problems, []);
      assert.deepEqual(requests, [], 'the report must not fetch anything');
      assert.deepEqual(
        charts.map((c) => c.id),
        [
          'chart-memory',
          'chart-retention',
          'chart-breakdown-0',
          'chart-breakdown-1',
          'chart-breakdown-2',
          'chart-latency',
        ],
      );
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
      assert.deepEqual(
        charts[4]!.series.map((s) => s.name),
        ['live (allocated)', 'LazyFree (MADV_FREE)', 'rest (runtime, outside jemalloc)', 'Rss'],
      );
      assert.match(await page.locator('ul.diagnosis').innerText(), /madv-free kept 90% of its growth.*MADV_FREE/);
    });
  } finally {
    await rm(dirname(dir), { recursive: true, force: true });
  }
});
