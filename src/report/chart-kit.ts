// What every chart of the report (and of the live page, which draws the report's charts) is made of: the
// option type, the palette, the units charts draw in, the title, axes and line series in one style. Options
// are plain JSON (no functions), so the same option draws the canvas chart in report.html and the SVG in
// chart.svg. Pure.

export type ChartOption = Record<string, unknown>;

/** echarts' own palette: one colour per variant or arena, in order. */
export const PALETTE = ['#5470c6', '#ee6666', '#91cc75', '#fac858', '#73c0de', '#3ba272', '#fc8452', '#9a60b4'];

const MiB = 1024 * 1024;

/** Bytes in MiB, to one decimal: the unit of every memory axis. */
export const mib = (b: number): number => Math.round((b / MiB) * 10) / 10;

/** Milliseconds in seconds, to one decimal: the unit of every time axis. */
export const sec = (ms: number): number => Math.round(ms / 100) / 10;

/**
 * What every chart opens with: no animation, its title centred above it, a tooltip for the whole
 * axis (`item`: for the point under the pointer) and the legend at the bottom, scrolling when it may be long.
 */
export function chartFrame(
  title: string,
  o: { fontSize?: number; tooltip?: 'axis' | 'item'; scroll?: boolean } = {},
): ChartOption {
  return {
    animation: false,
    title: { text: title, left: 'center', textStyle: { fontSize: o.fontSize ?? 14 } },
    tooltip: { trigger: o.tooltip ?? 'axis' },
    legend: o.scroll ? { type: 'scroll', bottom: 0 } : { bottom: 0 },
  };
}

/** A value axis with its name centred along it; `more` adds to or overrides it (a log type, a min, a gap). */
export function valueAxis(name: string, more: ChartOption = {}): ChartOption {
  return { type: 'value', name, nameLocation: 'middle', nameGap: 28, ...more };
}

/** The time axis of a chart over a run, from 0. */
export function timeAxis(name = 'seconds since server start'): ChartOption {
  return valueAxis(name, { min: 0 });
}

/** The MiB axis; `more` adds to it (a min). */
export function mibAxis(more: ChartOption = {}): ChartOption {
  return valueAxis('MiB', { nameGap: 50, ...more });
}

export interface LineStyle {
  color: string;
  width: number;
  type?: string;
  opacity?: number;
}

/** A line without symbols, its points in the line's colour; `more` adds series options (an axis, a markLine). */
export function lineSeries(name: string, style: LineStyle, data: unknown[], more: ChartOption = {}): ChartOption {
  return { name, type: 'line', showSymbol: false, lineStyle: style, itemStyle: { color: style.color }, data, ...more };
}
