// The skynet section of report.html, for folders `simload watch --skynet-console` wrote: Lua memory per
// service (`mem`: the largest services at the Lua peak and at the end, the total over time beside C memory's
// (`cmem`) and jemalloc's allocated and active), what the console cost per sample, and the decay settings
// read with --skynet-inject.

import type { Sample, SkynetSample } from '../results/sample.js';
import { formatBytes } from '../units.js';
import { chartFrame, lineSeries, mib, mibAxis, sec, timeAxis, type ChartOption } from './chart-kit.js';
import { median } from './phases.js';
import { samplesByVariant, type RunData } from './load.js';
import { escapeHtml as esc, type ReportSection, type ReportSectionOutput } from './sections.js';
import { isServiceReading } from '../results/downsample.js';
import { chartSamples } from './thin.js';

type WithSkynet = Sample & { skynet: SkynetSample };

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
    const samples = all.filter((s): s is WithSkynet => s.skynet !== undefined);
    if (samples.length === 0) continue;
    const withMem = samples.filter((s) => s.skynet.luaTotal !== null);
    const rtt = samples
      .map((s) => s.skynet.consoleMs)
      .filter((x): x is number => x !== null)
      .sort((a, b) => a - b);
    const lost = samples.length - rtt.length;
    html.push(`<h3>${esc(variant)}</h3><p>`);
    html.push(
      rtt.length
        ? `Console round trip of <code>jmem</code>: median ${median(rtt)!.toFixed(1)} ms, max ${rtt.at(-1)!.toFixed(1)} ms over ${rtt.length} samples` +
            `${lost ? `; ${lost} sample(s) without an answer (see events)` : ''}.`
        : 'The console never answered: no jemalloc or Lua figures (see events).',
    );
    const svc = samples
      .map((s) => s.skynet.servicesMs)
      .filter((x): x is number => x !== undefined)
      .sort((a, b) => a - b);
    if (svc.length)
      html.push(
        ` The per-service reads (<code>list</code>, <code>cmem</code>, <code>mem</code>): median ${median(svc)!.toFixed(1)} ms, max ${svc.at(-1)!.toFixed(1)} ms over ${svc.length} readings.`,
      );
    const mc = samples.find((s) => s.skynet.mallctl)?.skynet.mallctl;
    if (mc) {
      const keys = [
        'opt.dirty_decay_ms',
        'opt.muzzy_decay_ms',
        'arenas.dirty_decay_ms',
        'arenas.muzzy_decay_ms',
        'opt.narenas',
      ].filter((k) => k in mc);
      html.push(` Read through <code>inject</code>: ${keys.map((k) => `${esc(k)} = ${mc[k]}`).join(', ')}.`);
    } else if (samples.some((s) => s.alloc?.source === 'skynet-jmem')) {
      html.push(
        ' Without <code>--skynet-inject</code> jemalloc tells allocated, active, resident, mapped and retained only: the breakdown shows live,' +
          ' fragmentation (active - allocated), resident not active (dirty pages and metadata together), LazyFree and the rest outside jemalloc.',
      );
    }
    html.push('</p>');
    if (withMem.length) {
      let peak = withMem[0]!;
      for (const s of withMem) if (s.skynet.luaTotal! > peak.skynet.luaTotal!) peak = s;
      html.push(topTable('Largest Lua services at the Lua peak', peak));
      if (withMem.at(-1) !== peak) html.push(topTable('Largest Lua services at the end', withMem.at(-1)!));
    }
    charts.push({ id: `chart-skynet-${n++}`, option: skynetChartOption(variant, samples), height: 360 });
  }
  return charts.length ? { title: 'skynet (debug console)', html: html.join(''), charts } : null;
}

export const skynetSection: ReportSection = { id: 'skynet', render };
