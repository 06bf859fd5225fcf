// Extension point: other areas add sections to report.html without editing the report (plan/ adds its
// capacity plan from plan.json). A section module registers itself when imported; renderReport imports the
// known optional modules below if they were built.

import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { ChartOption } from './charts.js';
import type { RunData } from './load.js';
import type { Summary } from './summary.js';

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

const registry = new Map<string, ReportSection>();

export function registerReportSection(s: ReportSection): void {
  registry.set(s.id, s);
}

export function reportSections(): ReportSection[] {
  return [...registry.values()];
}

/** Optional section modules, next to this file, loaded when present (report/plan-section.ts from plan/). */
const OPTIONAL_MODULES = ['./plan-section.js', './decay-section.js', './skynet-section.js'];

export async function loadOptionalSections(): Promise<void> {
  for (const rel of OPTIONAL_MODULES) {
    const url = new URL(rel, import.meta.url);
    if (existsSync(fileURLToPath(url))) await import(url.href);
  }
}

export function escapeHtml(s: string): string {
  return s.replace(/[<>&"']/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&#39;' })[c]!);
}
