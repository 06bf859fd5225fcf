// The capacity plan in report.html (registered with report/sections.ts; loaded when the file exists): the
// recommendation per variant, and per variant a chart of the measured points with their fitted lines and the
// budget. Options are plain JSON in MiB, like the report's other charts.

import { PLAN_SCHEMA, predict, type Line, type PlanFile, type PlanVariant } from '../results/plan.js';
import { formatBytes } from '../units.js';
import { chartFrame, lineSeries, mib, mibAxis, valueAxis, type ChartOption } from './chart-kit.js';
import { escapeHtml as esc, type ReportSection, type ReportSectionOutput } from './sections.js';

const SERIES = [
  { key: 'peakRss', label: 'peak Rss', color: '#5470c6', point: (p: PlanVariant['points'][number]) => p.peakRss },
  {
    key: 'peakUnreclaimable',
    label: 'peak Rss - LazyFree',
    color: '#91cc75',
    point: (p: PlanVariant['points'][number]) => p.peakUnreclaimable,
  },
  {
    key: 'settledRss',
    label: 'settled Rss',
    color: '#ee6666',
    point: (p: PlanVariant['points'][number]) => p.settledRss,
  },
  {
    key: 'settledUnreclaimable',
    label: 'settled Rss - LazyFree (needed)',
    color: '#fc8452',
    point: (p: PlanVariant['points'][number]) => p.settledUnreclaimable,
  },
] as const;

export function isPlanFile(x: unknown): x is PlanFile {
  return (
    typeof x === 'object' &&
    x !== null &&
    (x as { schema?: unknown }).schema === PLAN_SCHEMA &&
    Array.isArray((x as PlanFile).variants)
  );
}

/** Measured points and fitted lines of one variant, with the budget and the usable budget as horizontal lines. */
export function planChartOption(plan: PlanFile, v: PlanVariant): ChartOption {
  const fit = v.fit;
  const xMax =
    Math.ceil(
      Math.max(
        fit?.recommended ?? 0,
        fit?.fitsIfReclaimed ?? 0,
        ...v.points.map((p) => p.players),
        v.verify?.players ?? 0,
      ) * 1.05,
    ) || 1;
  const series: unknown[] = [];
  for (const s of SERIES) {
    series.push({
      name: `${s.label} (measured)`,
      type: 'scatter',
      symbolSize: 9,
      itemStyle: { color: s.color },
      data: v.points.map((p) => [p.players, mib(s.point(p))]),
    });
    const line: Line | undefined = fit?.lines[s.key];
    if (line) {
      // Peak Rss solid and wider: peak Rss - LazyFree usually lies right on it.
      const style =
        s.key === 'peakRss'
          ? { color: s.color, width: 3, opacity: 0.7 }
          : { color: s.color, type: 'dashed', width: 1.5 };
      series.push(
        lineSeries(`${s.label} (fit)`, style, [
          [0, mib(line.intercept)],
          [xMax, mib(predict(line, xMax))],
        ]),
      );
    }
  }
  const level = (bytes: number) => [
    [0, mib(bytes)],
    [xMax, mib(bytes)],
  ];
  series.push(lineSeries('budget', { color: '#333', width: 2 }, level(plan.budgetBytes)));
  series.push(lineSeries('budget - headroom', { color: '#333', width: 1, type: 'dotted' }, level(plan.usableBytes)));
  if (fit?.recommended != null) {
    series.push({
      name: 'recommended',
      type: 'scatter',
      symbol: 'diamond',
      symbolSize: 14,
      itemStyle: { color: '#3ba272' },
      data: [[fit.recommended, mib(predict(fit.lines.peakRss, fit.recommended))]],
    });
  }
  if (v.verify?.peakRss != null) {
    series.push({
      name: `verify (${v.verify.result})`,
      type: 'scatter',
      symbol: 'triangle',
      symbolSize: 14,
      itemStyle: { color: v.verify.result === 'passed' ? '#3ba272' : '#c23531' },
      data: [[v.verify.players, mib(v.verify.peakRss)]],
    });
  }
  return {
    ...chartFrame(`${v.variant}: memory vs peak players`, { fontSize: 15, tooltip: 'item', scroll: true }),
    backgroundColor: '#ffffff',
    grid: { left: 70, right: 30, top: 45, bottom: 70 },
    xAxis: valueAxis('peak players', { min: 0, max: xMax }),
    yAxis: mibAxis({ min: 0 }),
    series,
  };
}

export function planSectionHtml(plan: PlanFile): string {
  const pct = (f: number) => `${Math.round(f * 1000) / 10}%`;
  const head =
    '<tr><th>variant</th><th>bytes / player</th><th>base</th><th>r²</th><th>recommended players</th><th>fits if LazyFree is reclaimed</th>' +
    '<th>peak Rss there</th><th>settled there: reclaimable (LazyFree)</th><th>settled there: needed</th><th>verify</th></tr>';
  const rows = plan.variants.map((v) => {
    const f = v.fit;
    const at = f?.atRecommended ?? null;
    const cells = [
      v.variant,
      f ? formatBytes(f.bytesPerPlayer) : '-',
      f ? formatBytes(f.baseBytes) : '-',
      f ? f.lines.peakRss.r2.toFixed(3) : '-',
      f?.recommended != null ? `${f.recommended}${f.extrapolated ? ' (extrapolated)' : ''}` : 'none',
      f?.fitsIfReclaimed != null ? String(f.fitsIfReclaimed) : 'none',
      at ? formatBytes(at.peakRss) : '-',
      at ? formatBytes(at.settledReclaimable) : '-',
      at ? formatBytes(at.settledNeeded) : '-',
      v.verify ? `${v.verify.result}: ${v.verify.detail}` : 'not run',
    ];
    return `<tr>${cells.map((c) => `<td>${esc(c)}</td>`).join('')}</tr>`;
  });
  const model = plan.model
    ? [`assumes: ${plan.model.words}`, ...(plan.model.bareNote ? [plan.model.bareNote] : [])]
    : [];
  const notes = [...model, ...plan.notes, ...plan.variants.flatMap((v) => v.notes.map((n) => `${v.variant}: ${n}`))];
  return [
    `<p>Budget ${esc(formatBytes(plan.budgetBytes))} with ${esc(pct(plan.headroom))} headroom: ${esc(formatBytes(plan.usableBytes))} usable. ` +
      `Runs at peaks ${esc(plan.peaks.join(', '))} (status ${esc(plan.status)}); each is a series named variant@players in the charts above. ` +
      'The recommendation is the largest count whose fitted peak Rss fits the usable budget, safe even if the kernel takes nothing back; ' +
      '"fits if LazyFree is reclaimed" uses peak Rss - LazyFree, what a hard memory limit leaves the process; ' +
      'after the ramp-down, settled Rss splits into LazyFree (the kernel can take it back) and the rest (needed).</p>',
    `<table class="plan">${head}${rows.join('')}</table>`,
    notes.length ? `<ul class="notes">${notes.map((n) => `<li>${esc(n)}</li>`).join('')}</ul>` : '',
  ].join('\n');
}

export function renderPlanSection(planJson: unknown): ReportSectionOutput | null {
  if (planJson === null || planJson === undefined) return null;
  if (!isPlanFile(planJson))
    return { title: 'Capacity plan', html: '<p>plan.json is not a simload plan this version reads.</p>' };
  const plan = planJson;
  return {
    title: 'Capacity plan',
    html: planSectionHtml(plan),
    charts: plan.variants
      .filter((v) => v.points.length > 0)
      .map((v, i) => ({ id: `chart-plan-${i}`, option: planChartOption(plan, v), height: 420 })),
  };
}

export const planSection: ReportSection = { id: 'plan', render: (run) => renderPlanSection(run.plan) };
