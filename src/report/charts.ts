// The report's main charts: memory over time, where the Rss is, what was kept, latency (chart-kit.ts: the
// style they share). Sizes in MiB, times in seconds. Pure.

import type { Sample } from '../results/sample.js';
import type { RunEvent } from '../results/layout.js';
import { BREAKDOWN_LABELS, BREAKDOWN_PARTS, breakdown } from '../analysis/breakdown.js';
import {
  chartFrame,
  lineSeries,
  mib,
  mibAxis,
  PALETTE,
  sec,
  timeAxis,
  valueAxis,
  type ChartOption,
} from './chart-kit.js';
import { runGaps, type Gap } from '../analysis/gaps.js';
import { breakAtGaps, gapArea } from './gap-marks.js';
import { samplesByVariant, type RunData } from '../analysis/load.js';
import { chartSamples } from './thin.js';
import type { Summary } from '../analysis/summary.js';

const PART_COLORS: Record<string, string> = {
  live: '#5470c6',
  fragmentation: '#fac858',
  dirty: '#fc8452',
  metadata: '#9a60b4',
  residentNotActive: '#d48265',
  lazyFree: '#ee6666',
  rest: '#a0a7b4',
};

/** Rss, LazyFree and allocated over time for every variant, online players on a second axis. */
export function memoryChartOption(run: RunData, title = 'Memory over time'): ChartOption {
  const series: unknown[] = [];
  const gaps = runGaps(run.meta, run.samples);
  let i = 0;
  for (const [variant, all] of samplesByVariant(run)) {
    const samples = chartSamples(all);
    const color = PALETTE[i++ % PALETTE.length];
    const line = (name: string, type: string, width: number, points: Array<[number, number | null]>, yAxisIndex = 0) =>
      lineSeries(`${variant} ${name}`, { color, type, width }, breakAtGaps(points, gaps, sec), {
        yAxisIndex,
        sampling: 'lttb',
      });
    series.push({
      ...line(
        'Rss',
        'solid',
        2.5,
        samples.map((s) => [sec(s.t), mib(s.proc.rss)]),
      ),
      ...(i === 1 && gaps.length ? { markArea: gapArea(gaps, sec) } : {}),
    });
    series.push(
      line(
        'LazyFree',
        'dashed',
        1.5,
        samples.map((s) => [sec(s.t), mib(s.proc.lazyFree)]),
      ),
    );
    series.push(
      line(
        'allocated',
        'dotted',
        1.5,
        samples.map((s) => [sec(s.t), s.alloc ? mib(s.alloc.allocated) : null]),
      ),
    );
    // A watched server without an online count (simload watch, no --online-cmd) has only zeros: no line.
    if (samples.some((s) => s.online > 0)) {
      const online = samples.map((s) => [sec(s.t), s.online]);
      series.push(
        lineSeries(`${variant} online`, { color, width: 1, opacity: 0.45 }, online, {
          yAxisIndex: 1,
          sampling: 'lttb',
          step: 'end',
        }),
      );
    }
  }
  return {
    ...chartFrame(title, { fontSize: 15, scroll: true }),
    backgroundColor: '#ffffff',
    grid: { left: 70, right: 70, top: 45, bottom: 70 },
    xAxis: timeAxis(),
    yAxis: [mibAxis(), valueAxis('online players', { nameGap: 50, splitLine: { show: false } })],
    series,
  };
}

/** Rss split into its parts (analysis/breakdown.ts) as stacked areas, for one variant, with phases and gaps. */
export function breakdownChartOption(
  variant: string,
  all: Sample[],
  events: RunEvent[],
  gaps: readonly Gap[] = [],
): ChartOption {
  const samples = chartSamples(all);
  const parts = samples.map((s) => ({ t: sec(s.t), b: breakdown(s) }));
  const shown = BREAKDOWN_PARTS.filter((p) => parts.some((x) => x.b[p] !== null));
  // A sample whose allocator stats came late cannot be split: leave a gap rather than a spike of `rest`.
  const hasStats = parts.some((x) => x.b.kind !== 'none');
  const value = (x: (typeof parts)[number], p: (typeof shown)[number]) =>
    x.b[p] === null || (hasStats && x.b.kind === 'none') ? null : mib(x.b[p]!);
  const series: unknown[] = shown.map((p) => {
    const data = breakAtGaps(
      parts.map((x): [number, number | null] => [x.t, value(x, p)]),
      gaps,
      sec,
    );
    return lineSeries(BREAKDOWN_LABELS[p], { color: PART_COLORS[p], width: 0.5 }, data, {
      stack: 'rss',
      areaStyle: { opacity: 0.75 },
    });
  });
  const marks = events
    .filter((e): e is Extract<RunEvent, { type: 'phase' }> => e.type === 'phase' && e.variant === variant)
    .map((e) => ({ xAxis: sec(e.t), label: { formatter: `${e.phaseIndex}:${e.phase}`, fontSize: 10 } }));
  const pressure = events
    .filter((e): e is Extract<RunEvent, { type: 'pressure' }> => e.type === 'pressure' && e.variant === variant)
    .map((e) => ({
      xAxis: sec(e.t),
      label: { formatter: `pressure ${e.action}`, fontSize: 10, position: 'insideEndTop' },
      lineStyle: { color: '#c23531' },
    }));
  const rss = breakAtGaps(
    samples.map((s): [number, number | null] => [sec(s.t), mib(s.proc.rss)]),
    gaps,
    sec,
  );
  const markLine = {
    symbol: 'none',
    silent: true,
    lineStyle: { color: '#888', type: 'dashed' },
    data: [...marks, ...pressure],
  };
  series.push(
    lineSeries('Rss', { color: '#222', width: 1.5 }, rss, {
      markLine,
      ...(gaps.length ? { markArea: gapArea(gaps, sec) } : {}),
    }),
  );
  return {
    ...chartFrame(`${variant}: where the Rss is`, { scroll: true }),
    grid: { left: 70, right: 30, top: 45, bottom: 70 },
    xAxis: timeAxis(),
    yAxis: mibAxis(),
    series,
  };
}

/** Retention, LazyFree share and dirty share at settle, variants side by side (percent). */
export function retentionChartOption(summary: Summary): ChartOption {
  const names = summary.variants.map((v) => v.variant);
  const pctOf = (x: number | null) => (x === null ? null : Math.round(x * 1000) / 10);
  return {
    ...chartFrame('Kept after players left (at settle)'),
    grid: { left: 70, right: 30, top: 45, bottom: 60 },
    xAxis: { type: 'category', data: names },
    yAxis: valueAxis('%', { nameGap: 40 }),
    series: [
      {
        name: 'retention',
        type: 'bar',
        itemStyle: { color: '#5470c6' },
        label: { show: true, position: 'top' },
        data: summary.variants.map((v) => pctOf(v.retention)),
      },
      {
        name: 'LazyFree share of Rss',
        type: 'bar',
        itemStyle: { color: '#ee6666' },
        data: summary.variants.map((v) => pctOf(v.lazyFreeShare)),
      },
      {
        name: 'dirty share of Rss',
        type: 'bar',
        itemStyle: { color: '#fc8452' },
        data: summary.variants.map((v) => pctOf(v.dirtyShare)),
      },
    ],
  };
}

/** Latency percentiles per variant and phase (ms, log scale). Null when no latency was recorded. */
export function latencyChartOption(summary: Summary): ChartOption | null {
  const cats: string[] = [];
  const rows: Array<Record<string, number>> = [];
  for (const v of summary.variants) {
    for (const [label, p] of Object.entries(v.latency)) {
      if (p.count === 0) continue;
      cats.push(`${v.variant} ${label}`);
      rows.push({ p50: p.p50, p90: p.p90, p99: p.p99, p999: p.p999, max: p.max });
    }
  }
  if (cats.length === 0) return null;
  const keys: Array<[string, string]> = [
    ['p50', 'p50'],
    ['p90', 'p90'],
    ['p99', 'p99'],
    ['p999', 'p99.9'],
    ['max', 'max'],
  ];
  const data = keys.map(([k]) => rows.map((r) => Math.max(0.001, Math.round(r[k]! * 1000) / 1000)));
  // Points joined per percentile on a log axis (bars on a log axis start at 1 and hide values near it).
  const lowest = Math.min(...data.flat());
  const axisMin = 10 ** (Math.ceil(Math.log10(lowest)) - 1);
  return {
    ...chartFrame('Message latency per phase'),
    grid: { left: 70, right: 30, top: 45, bottom: 90 },
    xAxis: { type: 'category', data: cats, axisLabel: { rotate: 20, fontSize: 10 } },
    yAxis: valueAxis('ms', { type: 'log', nameGap: 45, logBase: 10, min: axisMin }),
    series: keys.map(([, name], i) => ({ name, type: 'line', symbol: 'circle', symbolSize: 8, data: data[i] })),
  };
}
