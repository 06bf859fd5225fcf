// The report's decay panel: per variant, dirty and muzzy pages of each arena over time and the purges seen
// between samples, which arena each thread is bound to, and each arena's decay ticks over the final hold. Registers itself as a report section; a run
// without per-arena stats (older runs, glibc) gets no panel. Chart options are plain JSON.

import type { Sample } from '../results/sample.js';
import { formatBytes, formatDuration } from '../units.js';
import { chartFrame, lineSeries, mib, PALETTE, sec, timeAxis, type ChartOption } from './chart-kit.js';
import { purgeEvents } from '../analysis/decay.js';
import { samplesByVariant, type RunData } from '../analysis/load.js';
import { escapeHtml as esc, type ReportSection, type ReportSectionOutput } from './sections.js';
import type { Summary } from '../analysis/summary.js';
import { chartSamples } from './thin.js';

/** Dirty (solid) and muzzy (dashed) MiB per arena; purge sweeps per sample as bars on the right axis. */
export function decayChartOption(variant: string, samples: Sample[]): ChartOption | null {
  const withArenas = chartSamples(samples.filter((s) => s.alloc?.arenas));
  if (withArenas.length === 0) return null;
  const arenas = [...new Set(withArenas.flatMap((s) => s.alloc!.arenas!.map((a) => a.arena)))].sort((a, b) => a - b);
  const series: unknown[] = [];
  arenas.forEach((arena, i) => {
    const color = PALETTE[i % PALETTE.length];
    for (const kind of ['pdirty', 'pmuzzy'] as const) {
      const data = withArenas.map((s) => {
        const a = s.alloc!.arenas!.find((x) => x.arena === arena);
        return [sec(s.t), a ? mib(a[kind]) : null];
      });
      if (data.every((d) => !d[1])) continue;
      const style = { color, width: 1.2, type: kind === 'pdirty' ? 'solid' : 'dashed' };
      series.push(lineSeries(`arena ${arena} ${kind === 'pdirty' ? 'dirty' : 'muzzy'}`, style, data));
    }
  });
  const events = purgeEvents(withArenas);
  const byT = new Map<number, { dirty: number; muzzy: number }>();
  for (const e of events) {
    const x = byT.get(e.t) ?? { dirty: 0, muzzy: 0 };
    x.dirty += e.dirty;
    x.muzzy += e.muzzy;
    byT.set(e.t, x);
  }
  for (const kind of ['dirty', 'muzzy'] as const) {
    series.push({
      name: `${kind} purge sweeps`,
      type: 'bar',
      yAxisIndex: 1,
      barMaxWidth: 4,
      itemStyle: { color: kind === 'dirty' ? '#333' : '#c23531', opacity: 0.6 },
      data: [...byT].filter(([, x]) => x[kind] > 0).map(([t, x]) => [sec(t), x[kind]]),
    });
  }
  return {
    ...chartFrame(`${variant}: dirty and muzzy pages per arena, purges`, { scroll: true }),
    grid: { left: 70, right: 70, top: 45, bottom: 70 },
    xAxis: timeAxis(),
    yAxis: [
      { type: 'value', name: 'MiB', nameGap: 50 },
      { type: 'value', name: 'purge sweeps', splitLine: { show: false }, minInterval: 1 },
    ],
    series,
  };
}

export function renderDecaySection(run: RunData, summary: Summary): ReportSectionOutput | null {
  const charts: NonNullable<ReportSectionOutput['charts']> = [];
  const html: string[] = [];
  let n = 0;
  for (const [variant, samples] of samplesByVariant(run)) {
    const option = decayChartOption(variant, samples);
    const d = summary.variants.find((v) => v.variant === variant)?.decay;
    if (!option || !d) continue;
    const decayTime = d.dirtyDecayNever
      ? 'never'
      : d.dirtyDecayTimeMs !== null
        ? formatDuration(d.dirtyDecayTimeMs)
        : '-';
    html.push(
      `<h3>${esc(variant)}</h3><p>dirty peak ${esc(formatBytes(d.dirtyPeak))}; dirty decay time ${esc(decayTime)}; ` +
        `longest gap without a purge in the final hold ${esc(d.maxPurgeGapMs !== null ? formatDuration(d.maxPurgeGapMs) : '-')}; ` +
        `purge sweeps since the ramp-down ${esc(String(d.purgesSinceRampDown ?? '-'))}.</p>`,
    );
    const threads = d.threads.map((t) => `${t.main ? 'main' : `tid ${t.tid}`} &rarr; arena ${t.arena}`).join(', ');
    if (threads) html.push(`<p>threads (thread.arena): ${threads}</p>`);
    const ticks = d.holdTicks ?? null;
    if (ticks)
      html.push(
        `<p>decay ticks in the final hold (${esc(formatDuration(ticks.toMs - ticks.fromMs))}, ${ticks.messages ?? '?'} messages): ` +
          `operations that advance an arena's decay in jemalloc 5.0.x, which runs it on each 1 000th tick of one thread on the arena; ` +
          `an arena that sees few keeps its dirty pages whatever their age.</p>`,
      );
    const tickCells = (arena: number) => {
      if (!ticks) return '';
      const a = ticks.arenas.find((x) => x.arena === arena);
      return a ? `<td>${a.ticks}</td><td>${a.purges}</td>` : '<td>-</td><td>-</td>';
    };
    const rows = d.arenas
      .map(
        (a) =>
          `<tr><td>${a.arena}</td><td>${esc(formatBytes(a.pdirty))}</td><td>${esc(formatBytes(a.pmuzzy))}</td><td>${a.lastDirtyPurgeMs !== null ? esc(formatDuration(a.lastDirtyPurgeMs)) : 'never'}</td><td>${a.lastMuzzyPurgeMs !== null ? esc(formatDuration(a.lastMuzzyPurgeMs)) : 'never'}</td>${tickCells(a.arena)}</tr>`,
      )
      .join('');
    const tickHeads = ticks ? '<th>decay ticks (final hold)</th><th>purges (final hold)</th>' : '';
    html.push(
      `<table><tr><th>arena</th><th>dirty (end)</th><th>muzzy (end)</th><th>last dirty purge</th><th>last muzzy purge</th>${tickHeads}</tr>${rows}</table>`,
    );
    charts.push({ id: `chart-decay-${n++}`, option, height: 380 });
  }
  if (charts.length === 0) return null;
  // The charts follow the text, in the same variant order.
  return { title: 'Decay per arena', html: html.join('\n'), charts };
}

export const decaySection: ReportSection = { id: 'decay', render: renderDecaySection };
