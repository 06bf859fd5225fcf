// The skynet section of report.html, for folders `simload watch --skynet-console` wrote: Lua memory per
// service (`mem`: the largest services at the Lua peak and at the end, the total over time beside C memory's
// (`cmem`) and jemalloc's allocated and active), what the console cost per sample, and the decay settings
// read with --skynet-inject (analysis/skynet-console.ts reads them from the samples).

import { formatBytes } from '../units.js';
import { chartFrame, lineSeries, mib, mibAxis, sec, timeAxis, type ChartOption } from './chart-kit.js';
import { skynetConsole, type WithSkynet } from '../analysis/skynet-console.js';
import { samplesByVariant, type RunData } from '../analysis/load.js';
import { escapeHtml as esc, type ReportSection, type ReportSectionOutput } from './sections.js';
import { isServiceReading } from '../results/downsample.js';
import { chartSamples } from './thin.js';

export function skynetChartOption(variant: string, all: WithSkynet[]): ChartOption {
  const samples = chartSamples(all);
  // The per-service readings thinned on their own, so that a long watch's chart keeps them.
  const readings = chartSamples(all.filter(isServiceReading));
  // `mem` is read less often than the rest (--skynet-mem): join its readings.
  const line = (name: string, color: string, data: Array<[number, number | null]>, type = 'solid') =>
    lineSeries(name, { color, type, width: 2 }, data, { connectNulls: true });
  return {
    ...chartFrame(`${variant}: Lua memory (mem), C memory (cmem) and jemalloc (jmem)`),
    grid: { left: 70, right: 30, top: 45, bottom: 70 },
    xAxis: timeAxis('seconds since the watch began'),
    yAxis: mibAxis(),
    series: [
      line(
        'Lua total (mem)',
        '#3ba272',
        readings.map((s) => [sec(s.t), s.skynet.luaTotal === null ? null : mib(s.skynet.luaTotal)]),
      ),
      line(
        'C total (cmem)',
        '#9a60b4',
        readings.map((s) => [sec(s.t), s.skynet.cmem?.total == null ? null : mib(s.skynet.cmem.total)]),
      ),
      line(
        'allocated (jmem)',
        '#5470c6',
        samples.map((s) => [sec(s.t), s.alloc ? mib(s.alloc.allocated) : null]),
        'dotted',
      ),
      line(
        'active (jmem)',
        '#fac858',
        samples.map((s) => [sec(s.t), s.alloc ? mib(s.alloc.active) : null]),
        'dashed',
      ),
      line(
        'Rss',
        '#222',
        samples.map((s) => [sec(s.t), mib(s.proc.rss)]),
      ),
    ],
  };
}

function topTable(title: string, s: WithSkynet): string {
  const rows = s.skynet.top
    .map((x) => `<tr><td>${esc(x.address)}</td><td>${esc(x.name)}</td><td>${esc(formatBytes(x.bytes))}</td></tr>`)
    .join('');
  return (
    `<h3>${esc(title)} (${esc(formatBytes(s.skynet.luaTotal ?? 0))} in ${s.skynet.luaServices} services, at ${sec(s.t)} s)</h3>` +
    `<table class="skynet-top"><tr><th>service</th><th>launched as</th><th>Lua memory</th></tr>${rows}</table>`
  );
}

function render(run: RunData): ReportSectionOutput | null {
  const html: string[] = [];
  const charts: NonNullable<ReportSectionOutput['charts']> = [];
  let n = 0;
  for (const [variant, all] of samplesByVariant(run)) {
    const c = skynetConsole(all);
    if (!c) continue;
    const rtt = c.roundTrip;
    html.push(`<h3>${esc(variant)}</h3><p>`);
    html.push(
      rtt
        ? `Console round trip of <code>jmem</code>: median ${rtt.median.toFixed(1)} ms, max ${rtt.max.toFixed(1)} ms over ${rtt.count} samples` +
            `${c.unanswered ? `; ${c.unanswered} sample(s) without an answer (see events)` : ''}.`
        : 'The console never answered: no jemalloc or Lua figures (see events).',
    );
    const svc = c.serviceReads;
    if (svc)
      html.push(
        ` The per-service reads (<code>list</code>, <code>cmem</code>, <code>mem</code>): median ${svc.median.toFixed(1)} ms, max ${svc.max.toFixed(1)} ms over ${svc.count} readings.`,
      );
    const mc = c.mallctl;
    if (mc) {
      const keys = [
        'opt.dirty_decay_ms',
        'opt.muzzy_decay_ms',
        'arenas.dirty_decay_ms',
        'arenas.muzzy_decay_ms',
        'opt.narenas',
      ].filter((k) => k in mc);
      html.push(` Read through <code>inject</code>: ${keys.map((k) => `${esc(k)} = ${mc[k]}`).join(', ')}.`);
    } else if (c.jmemOnly) {
      html.push(
        ' Without <code>--skynet-inject</code> jemalloc tells allocated, active, resident, mapped and retained only: the breakdown shows live,' +
          ' fragmentation (active - allocated), resident not active (dirty pages and metadata together), LazyFree and the rest outside jemalloc.',
      );
    }
    html.push('</p>');
    if (c.luaPeak && c.luaEnd) {
      html.push(topTable('Largest Lua services at the Lua peak', c.luaPeak));
      if (c.luaEnd !== c.luaPeak) html.push(topTable('Largest Lua services at the end', c.luaEnd));
    }
    charts.push({ id: `chart-skynet-${n++}`, option: skynetChartOption(variant, c.samples), height: 360 });
  }
  return charts.length ? { title: 'skynet (debug console)', html: html.join(''), charts } : null;
}

export const skynetSection: ReportSection = { id: 'skynet', render };
