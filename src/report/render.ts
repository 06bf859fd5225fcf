// Renders a run folder: summary.json, report.html and chart.svg, from the folder alone.

import { mkdir } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { SimloadError, UsageError } from '../errors.js';
import { writeFileAtomic } from '../results/atomic.js';
import { RESULT_FILES } from '../results/layout.js';
import type { ChartOption } from './chart-kit.js';
import { memoryChartOption } from './charts.js';
import { renderHtml } from './html.js';
import { loadRun, type RunData } from '../analysis/load.js';
import { attributionSection } from './attribution-section.js';
import { cyclesSection } from './cycles-section.js';
import { decaySection } from './decay-section.js';
import { fidelitySection } from './fidelity-section.js';
import { planSection } from './plan-section.js';
import { escapeHtml, type ReportSection, type ReportSectionOutput } from './sections.js';
import { sizeClassSection } from './sizeclass-section.js';
import { skynetSection } from './skynet-section.js';
import { summarize, type Summary } from '../analysis/summary.js';
import { inWindow, windowEvents, windowFolderName, type ReportWindow } from '../analysis/window.js';

export const CHART_SIZE = { width: 1200, height: 600 };

/**
 * Writes summary.json, report.html and chart.svg into `dir`; returns the summary and the two paths. With a
 * window (`simload report --from/--to`), of its samples and events only, into `dir/window-<from>s-<to>s/`.
 */
export async function renderReport(
  dir: string,
  opts: { window?: ReportWindow } = {},
): Promise<{ summary: Summary; html: string; chart: string; run: RunData }> {
  const w = opts.window;
  const run = await loadRun(dir, w ? { keep: inWindow(w) } : {});
  let outDir = run.dir;
  if (w) {
    if (run.samples.length === 0)
      throw new UsageError(
        'ERR_EMPTY_WINDOW',
        `${dir}: no samples from ${w.from ?? 'the start'} to ${w.to ?? 'the end'}`,
      );
    const first = run.samples[0]!;
    run.events = windowEvents(run.events, w, first.wall - first.t);
    outDir = join(run.dir, windowFolderName(w, run.samples));
    await mkdir(outDir, { recursive: true });
  }
  const summary: Summary = {
    ...summarize(run),
    ...(w ? { window: { fromMs: finite(w.fromMs), toMs: finite(w.toMs), samples: run.samples.length } } : {}),
  };
  const sections = await renderSections(run, summary);
  const htmlPath = join(outDir, RESULT_FILES.report);
  const chartPath = join(outDir, RESULT_FILES.chart);
  await writeAtomic(join(outDir, RESULT_FILES.summary), JSON.stringify(summary, null, 2) + '\n');
  await writeAtomic(htmlPath, renderHtml(run, summary, sections));
  await writeAtomic(
    chartPath,
    renderSvg(memoryChartOption(run, `simload ${summary.scenario ?? ''}: memory over time`)),
  );
  return { summary, html: htmlPath, chart: chartPath, run };
}

const finite = (ms: number) => (Number.isFinite(ms) ? ms : null);

// echarts costs ~0.8 s of CPU to load: loaded on the first chart, not by every command that imports the report
// (--help, bad flags, export, probe). Its CommonJS build, so renderSvg stays synchronous.
let echartsLib: typeof import('echarts') | null = null;

/** An echarts option drawn server-side as SVG text (echarts SSR, no DOM). */
export function renderSvg(option: ChartOption, size = CHART_SIZE): string {
  const echarts = (echartsLib ??= createRequire(import.meta.url)('echarts') as typeof import('echarts'));
  const chart = echarts.init(null, null, { renderer: 'svg', ssr: true, width: size.width, height: size.height });
  try {
    chart.setOption({ ...option, animation: false });
    return chart.renderToSVGString();
  } finally {
    chart.dispose();
  }
}

/** The report's sections after the summary, in this order. */
const SECTIONS: readonly ReportSection[] = [
  fidelitySection,
  planSection,
  cyclesSection,
  decaySection,
  sizeClassSection,
  skynetSection,
  attributionSection,
];

async function renderSections(run: RunData, summary: Summary): Promise<ReportSectionOutput[]> {
  const out: ReportSectionOutput[] = [];
  for (const s of SECTIONS) {
    try {
      const r = await s.render(run, summary);
      if (r) out.push(r);
    } catch (err) {
      // One broken section must not cost the whole report.
      out.push({
        title: `${s.id} (failed)`,
        html: `<p>${escapeHtml(`section ${s.id} failed: ${(err as Error).message}`)}</p>`,
      });
    }
  }
  return out;
}

async function writeAtomic(file: string, text: string): Promise<void> {
  try {
    await writeFileAtomic(file, text);
  } catch (err) {
    throw new SimloadError('ERR_REPORT_WRITE', `cannot write ${file}: ${(err as Error).message}`, undefined, {
      cause: err,
    });
  }
}
