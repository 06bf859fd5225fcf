// Renders a run folder: summary.json, report.html and chart.svg, from the folder alone.

import { rename, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { SimloadError } from '../errors.js';
import { RESULT_FILES } from '../results/layout.js';
import type { ChartOption } from './chart-kit.js';
import { memoryChartOption } from './charts.js';
import { renderHtml } from './html.js';
import { loadRun, type RunData } from './load.js';
import { attributionSection } from './attribution-section.js';
import { cyclesSection } from './cycles-section.js';
import { decaySection } from './decay-section.js';
import { fidelitySection } from './fidelity-section.js';
import { planSection } from './plan-section.js';
import { escapeHtml, type ReportSection, type ReportSectionOutput } from './sections.js';
import { sizeClassSection } from './sizeclass-section.js';
import { skynetSection } from './skynet-section.js';
import { summarize, type Summary } from './summary.js';

export const CHART_SIZE = { width: 1200, height: 600 };

/** Writes summary.json, report.html and chart.svg into `dir`; returns the summary and the two paths. */
export async function renderReport(dir: string): Promise<{ summary: Summary; html: string; chart: string }> {
  const run = await loadRun(dir);
  const summary = summarize(run);
  const sections = await renderSections(run, summary);
  const htmlPath = join(run.dir, RESULT_FILES.report);
  const chartPath = join(run.dir, RESULT_FILES.chart);
  await writeAtomic(join(run.dir, RESULT_FILES.summary), JSON.stringify(summary, null, 2) + '\n');
  await writeAtomic(htmlPath, renderHtml(run, summary, sections));
  await writeAtomic(chartPath, renderSvg(memoryChartOption(run, `simload ${summary.scenario ?? ''}: memory over time`)));
  return { summary, html: htmlPath, chart: chartPath };
}

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
const SECTIONS: readonly ReportSection[] = [fidelitySection, planSection, cyclesSection, decaySection, sizeClassSection, skynetSection, attributionSection];

async function renderSections(run: RunData, summary: Summary): Promise<ReportSectionOutput[]> {
  const out: ReportSectionOutput[] = [];
  for (const s of SECTIONS) {
    try {
      const r = await s.render(run, summary);
      if (r) out.push(r);
    } catch (err) {
      // One broken section must not cost the whole report.
      out.push({ title: `${s.id} (failed)`, html: `<p>${escapeHtml(`section ${s.id} failed: ${(err as Error).message}`)}</p>` });
    }
  }
  return out;
}

async function writeAtomic(file: string, text: string): Promise<void> {
  const tmp = `${file}.${process.pid}.tmp`;
  try {
    await writeFile(tmp, text);
    await rename(tmp, file);
  } catch (err) {
    // A half-written temporary would keep the space a full disk needs back (and sit in the folder).
    await rm(tmp, { force: true }).catch(() => undefined);
    throw new SimloadError('ERR_REPORT_WRITE', `cannot write ${file}: ${(err as Error).message}`, undefined, { cause: err });
  }
}
