// Opens a report.html in real headless Chromium, offline, and reads back what each echarts chart drew. Shared
// by the report tests and the watch tests.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, type Page } from 'playwright-core';

export const CHROMIUM = '/usr/bin/chromium';
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export interface DrawnChart {
  id: string;
  canvasWidth: number;
  /** Pixels that are not transparent and not white: lines, areas, bars, text. */
  inked: number;
  series: Array<{ name: string; points: number }>;
}

export interface OpenedReport {
  page: Page;
  /** Console errors and warnings, page errors. */
  problems: string[];
  /** Requests for anything but file: URLs (the report must fetch nothing). */
  requests: string[];
  charts: DrawnChart[];
}

/** Runs `check` on the opened report, then closes Chromium and removes its profile. */
export async function withReportInChromium<T>(html: string, check: (r: OpenedReport) => Promise<T>): Promise<T> {
  assert.ok(
    existsSync(CHROMIUM),
    `${CHROMIUM} is missing: the README's set-up line installs it (apt-get install chromium)`,
  );
  const profile = await mkdtemp(join(tmpdir(), 'simload-chromium-'));
  const ctx = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: CHROMIUM_ARGS,
    offline: true,
    viewport: { width: 1280, height: 900 },
  });
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
    await page.waitForFunction(() =>
      Array.isArray((globalThis as unknown as { simloadCharts?: unknown[] }).simloadCharts),
    );
    const charts = await page.evaluate(() => {
      // Minimal DOM shapes: the test compiles without lib.dom.
      type Canvas = {
        width: number;
        height: number;
        getContext(k: '2d'): { getImageData(x: number, y: number, w: number, h: number): { data: Uint8ClampedArray } };
      };
      type Dom = { id: string; querySelector(sel: string): Canvas | null };
      const w = globalThis as unknown as {
        simloadCharts: Array<{ getDom(): Dom; getOption(): { series: Array<{ name: string; data: unknown[] }> } }>;
      };
      return w.simloadCharts.map((c) => {
        const dom = c.getDom();
        const canvas = dom.querySelector('canvas');
        let inked = 0;
        let w0 = 0;
        if (canvas) {
          w0 = canvas.width;
          const px = canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height).data;
          for (let i = 0; i < px.length; i += 4)
            if (px[i + 3]! > 0 && (px[i]! < 240 || px[i + 1]! < 240 || px[i + 2]! < 240)) inked++;
        }
        const opt = c.getOption();
        return {
          id: dom.id,
          canvasWidth: w0,
          inked,
          series: opt.series.map((s) => ({ name: s.name, points: s.data.length })),
        };
      });
    });
    return await check({ page, problems, requests, charts });
  } finally {
    await ctx.close();
    await rm(profile, { recursive: true, force: true });
  }
}
