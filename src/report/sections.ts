// A section of report.html drawn from the run folder alone (the plan from plan.json, decay per arena, a
// skynet's console); render.ts lists them. Each returns null when the run has nothing for it.

import type { ChartOption } from './chart-kit.js';
import type { RunData } from '../analysis/load.js';
import type { Summary } from '../analysis/summary.js';

export interface ReportSectionOutput {
  title: string;
  /** Trusted HTML (escape any user text with escapeHtml). */
  html: string;
  /** Charts the section draws; each gets a div with this id, after the section's html. */
  charts?: Array<{ id: string; option: ChartOption; height?: number }>;
}

export interface ReportSection {
  /** Unique id, e.g. `plan`. */
  id: string;
  /** Null when the run has nothing for this section. */
  render(run: RunData, summary: Summary): ReportSectionOutput | null | Promise<ReportSectionOutput | null>;
}

export function escapeHtml(s: string): string {
  return s.replace(/[<>&"']/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&#39;' })[c]!);
}
