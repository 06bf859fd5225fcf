// report.html: one self-contained file that works offline. echarts is inlined (no CDN); the chart options are
// built in Node (charts.ts) and embedded as JSON, so the page only calls echarts.init + setOption.

import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { ChartOption } from './chart-kit.js';
import { breakdownChartOption, latencyChartOption, memoryChartOption, retentionChartOption } from './charts.js';
import { diagnose } from '../analysis/diagnose.js';
import { runGaps } from '../analysis/gaps.js';
import { showMetric } from '../analysis/metric-format.js';
import { METRICS } from '../analysis/metrics.js';
import { samplesByVariant, type RunData } from '../analysis/load.js';
import { escapeHtml as esc, type ReportSectionOutput } from './sections.js';
import type { Summary } from '../analysis/summary.js';
import { invalidLines } from './table.js';
import { VALIDITY } from '../analysis/validity.js';
import { formatBytes, formatDuration } from '../units.js';

let echartsSource: string | null = null;

/** The minified echarts bundle, read once from node_modules. */
export function echartsBundle(): string {
  if (echartsSource === null) {
    const file = createRequire(import.meta.url).resolve('echarts/dist/echarts.min.js');
    // `</script` cannot appear inside an inline script; the bundle has none today, guard anyway.
    echartsSource = readFileSync(file, 'utf8').replace(/<\/script/gi, '<\\/script');
  }
  return echartsSource;
}

interface ChartSlot {
  id: string;
  option: ChartOption;
  height: number;
}

/** The whole page as a string. Pure apart from reading the echarts bundle. */
export function renderHtml(run: RunData, summary: Summary, sections: ReportSectionOutput[] = []): string {
  const charts: ChartSlot[] = [];
  const chart = (id: string, option: ChartOption | null, height = 420): string => {
    if (!option) return '';
    charts.push({ id, option, height });
    return `<div class="chart" id="${esc(id)}" style="height:${height}px"></div>`;
  };
  const byVariant = samplesByVariant(run);
  const body: string[] = [];
  const title = `simload: ${summary.scenario ?? 'run'}`;
  body.push(`<h1>${esc(title)}</h1>`);
  // A run that did not deliver its load says so before anything else.
  const invalid = invalidLines(summary);
  if (invalid.length)
    body.push(
      `<div class="invalid"><p><strong>${esc(invalid[0]!)}</strong></p><ul>${invalid
        .slice(1)
        .map((l) => `<li>${esc(l.trim())}</li>`)
        .join('')}</ul></div>`,
    );
  body.push(`<p class="meta">${esc(metaLine(run, summary))}</p>`);
  if (summary.notes.length)
    body.push(`<ul class="notes">${summary.notes.map((n) => `<li>${esc(n)}</li>`).join('')}</ul>`);
  body.push('<h2>What happened</h2>');
  body.push(`<ul class="diagnosis">${summary.variants.map((v) => `<li>${esc(diagnose(v))}</li>`).join('')}</ul>`);
  body.push(chart('chart-memory', memoryChartOption(run), 480));
  body.push('<h2>Metrics</h2>', summaryTableHtml(summary));
  body.push('<h2>Load delivered</h2>', loadTableHtml(summary));
  body.push(chart('chart-retention', retentionChartOption(summary), 340));
  body.push('<h2>Where the Rss is</h2>');
  body.push(
    '<p>live = bytes allocated; fragmentation = jemalloc active - allocated; dirty = freed pages not purged yet; metadata = jemalloc bookkeeping; LazyFree = freed with MADV_FREE, still in Rss until the kernel needs memory; rest = Rss minus all of these (the Node runtime and everything outside jemalloc).</p>',
  );
  let n = 0;
  const gaps = runGaps(run.meta, run.samples);
  for (const [variant, samples] of byVariant)
    body.push(chart(`chart-breakdown-${n++}`, breakdownChartOption(variant, samples, run.events, gaps), 380));
  const lat = latencyChartOption(summary);
  body.push(
    '<h2>Latency</h2>',
    lat ? chart('chart-latency', lat, 380) : '<p>No latency was recorded (no latency.json).</p>',
  );
  for (const s of sections) {
    body.push(`<h2>${esc(s.title)}</h2>`, s.html);
    for (const c of s.charts ?? []) body.push(chart(c.id, c.option, c.height));
  }
  body.push('<h2>Events</h2>', eventsHtml(run));
  const data = JSON.stringify({ charts: charts.map(({ id, option }) => ({ id, option })) });
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(title)}</title>
<style>
body{font:14px/1.45 system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:24px auto;max-width:1200px;padding:0 16px;color:#222}
h1{font-size:22px}h2{font-size:17px;margin-top:32px;border-bottom:1px solid #ddd;padding-bottom:4px}
.meta{color:#666}.chart{width:100%;margin:12px 0}
table{border-collapse:collapse;font-variant-numeric:tabular-nums}td,th{padding:3px 10px;border-bottom:1px solid #eee;text-align:right}
td:first-child,th:first-child{text-align:left}.notes{color:#a60}.invalid{border:2px solid #c00;background:#fee;padding:4px 12px;margin:8px 0}pre{background:#f6f6f6;padding:8px;overflow:auto}
</style>
<script>${echartsBundle()}</script>
</head><body>
${body.join('\n')}
<script type="application/json" id="simload-data">${jsonForScript(data)}</script>
<script>
(function () {
  var data = JSON.parse(document.getElementById('simload-data').textContent);
  var instances = [];
  data.charts.forEach(function (c) {
    var el = document.getElementById(c.id);
    var chart = echarts.init(el, null, { renderer: 'canvas' });
    chart.setOption(c.option);
    instances.push(chart);
  });
  window.simloadCharts = instances;
  window.addEventListener('resize', function () { instances.forEach(function (c) { c.resize(); }); });
})();
</script>
</body></html>
`;
}

/** JSON inside <script>: `<` escaped so no `</script>` or `<!--` can end it early. */
function jsonForScript(json: string): string {
  return json
    .replace(/</g, '\\u003c')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
}

function metaLine(run: RunData, summary: Summary): string {
  const m = run.meta;
  const parts = [`status ${summary.status ?? 'unknown'}`];
  if (m) {
    parts.push(`started ${m.startedAt}`);
    if (m.endedAt) parts.push(`ended ${m.endedAt}`);
    parts.push(`${m.parallel ? 'parallel' : 'sequential'} variants`);
    parts.push(
      `host ${m.host.cpus} CPUs, ${formatBytes(m.host.memBytes)}, Linux ${m.host.kernel}, Node ${m.host.node}`,
    );
    parts.push(`simload ${m.version}`);
  }
  if (m?.error) parts.push(`error ${m.error.code}: ${m.error.message}`);
  return parts.join(' · ');
}

function summaryTableHtml(summary: Summary): string {
  const head = `<tr><th></th>${summary.variants.map((v) => `<th>${esc(v.variant)}</th>`).join('')}</tr>`;
  const rows = METRICS.map(
    (m) =>
      `<tr><td title="${esc(m.name)}">${esc(m.label)}</td>${summary.variants.map((v) => `<td>${esc(showMetric(m, v))}</td>`).join('')}</tr>`,
  );
  const lazy = summary.variants.map((v) => {
    const l = v.lazyFree;
    if (l.peak === 0 || l.peakAtMs === null) return '<td>none</td>';
    const back =
      l.reclaimedAtMs === null
        ? 'still held at the end'
        : `taken back at ${formatDuration(l.reclaimedAtMs)} (${l.reclaimedPhase})`;
    return `<td>${esc(`${formatBytes(l.peak)} at ${formatDuration(l.peakAtMs)}; ${back}`)}</td>`;
  });
  rows.push(`<tr><td>LazyFree peak</td>${lazy.join('')}</tr>`);
  return `<table class="summary">${head}${rows.join('')}</table>`;
}

function eventsHtml(run: RunData): string {
  const shown = run.events.filter((e) => e.type !== 'phase').sort((a, b) => a.wall - b.wall);
  if (shown.length === 0) return '<p>No errors, pressure or interruptions were recorded.</p>';
  const rows = shown.map((e) => {
    const when = new Date(e.wall).toISOString();
    const what =
      e.type === 'error'
        ? `${e.code}: ${e.message}`
        : e.type === 'pressure'
          ? `${e.action} ${e.limitBytes !== null ? formatBytes(e.limitBytes) : ''} ${e.detail}`
          : e.type === 'interrupted'
            ? e.signal
            : '';
    const variant = 'variant' in e ? (e.variant ?? '') : '';
    return `<tr><td>${esc(when)}</td><td>${esc(variant)}</td><td>${esc(e.type)}</td><td style="text-align:left">${esc(what)}</td></tr>`;
  });
  return `<table>${rows.join('')}</table>`;
}

/** Per variant and phase: target, the server's loaded players, the bots, short samples (analysis/validity.ts). */
function loadTableHtml(summary: Summary): string {
  const rows: string[] = [];
  for (const v of summary.variants) {
    if (!v.validity) continue;
    for (const p of v.validity.phases) {
      const share = (x: number | null) => (x === null ? '-' : `${(x * 100).toFixed(0)}%`);
      rows.push(
        `<tr><td>${esc(v.variant)}</td><td>${p.phaseIndex}:${esc(p.phase)}</td><td>${p.maxTarget}</td><td>${share(p.minServerShare)}</td><td>${share(p.minBotShare)}</td><td>${p.short} of ${p.withStats}</td><td>${p.samples - p.withStats}</td></tr>`,
      );
    }
  }
  if (rows.length === 0) return '<p>No load data (a run recorded before load validity was checked).</p>';
  return (
    `<p>A sample is short when the server holds more than ${VALIDITY.shortBy * 100}% (and ${VALIDITY.slackPlayers} players) below the target; a phase with more than ${VALIDITY.shortSamples * 100}% short samples, errors above ${VALIDITY.errors * 100}% of message attempts, or more than ${VALIDITY.missingStats * 100}% of samples without allocator stats make the run INVALID.</p>` +
    '<table><tr><th>variant</th><th>phase</th><th>max target</th><th>lowest server / target</th><th>lowest bots / target</th><th>short samples</th><th>samples without stats</th></tr>' +
    rows.join('') +
    '</table>'
  );
}
