// The report's "Cycles and drift" section: per variant, each cycle's peak, night and reuse (analysis/cycles.ts),
// and the memory slope over the drift window with its interval (analysis/drift.ts). Null when no variant has either.

import { formatBytes, formatDuration } from '../units.js';
import type { Cycle } from '../analysis/cycles.js';
import type { Slope } from '../analysis/drift.js';
import { escapeHtml as esc, type ReportSection } from './sections.js';
import type { VariantSummary } from '../analysis/summary.js';

const pct = (x: number | null) => (x === null ? '-' : `${(x * 100).toFixed(0)}%`);
const bytes = (x: number | null) => (x === null ? '-' : formatBytes(x));

function cycleRow(c: Cycle): string {
  const night = c.trough ? `${formatBytes(c.trough.rss)} (${Math.round(c.trough.online)} online)` : '-';
  const cells = [
    String(c.index),
    `${c.fromPhase}-${c.toPhase}`,
    `${formatBytes(c.peakRss)} at ${formatDuration(c.peakAtMs)}`,
    String(c.peakOnline),
    `${c.peakRatio.toFixed(2)}x`,
    night,
    bytes(c.growth),
    bytes(c.need),
    bytes(c.kept),
    pct(c.reuse),
    pct(c.keptReuse),
  ];
  return `<tr>${cells.map((x) => `<td>${esc(x)}</td>`).join('')}</tr>`;
}

function slopeText(s: Slope | null): string {
  if (!s) return '-';
  const per = (x: number) => `${formatBytes(x)}/h`;
  return s.low === null || s.high === null
    ? per(s.perHour)
    : `${per(s.perHour)} (95%: ${per(s.low)} to ${per(s.high)})`;
}

function variantHtml(v: VariantSummary): string {
  const out: string[] = [`<h3>${esc(v.variant)}</h3>`];
  if (v.cycles) {
    const head = [
      'cycle',
      'phases',
      'peak Rss',
      'peak online',
      'peak / first',
      'night Rss',
      'growth',
      'need',
      'kept',
      'reuse',
      'kept reused',
    ];
    out.push(
      `<table><tr>${head.map((h) => `<th>${esc(h)}</th>`).join('')}</tr>${v.cycles.cycles.map(cycleRow).join('')}</table>`,
    );
  }
  if (v.drift) {
    const d = v.drift;
    out.push(
      `<p>Drift over ${esc(formatDuration(d.toMs - d.fromMs))} (${d.samples} samples from ${esc(formatDuration(d.fromMs))}, after a warm-up of ${esc(formatDuration(d.warmupMs))}${d.window === 'final-hold' ? ' of the final hold' : ''}): Rss ${esc(slopeText(d.rss))}; allocated ${esc(slopeText(d.allocated))}.</p>`,
    );
    if (d.services?.length) {
      const rows = d.services.map(
        (x) =>
          `<tr><td>${esc(x.address)}</td><td>${esc(x.name)}</td><td>${esc(slopeText(x))}</td><td>${x.samples}</td></tr>`,
      );
      out.push(
        `<table><tr><th>service</th><th>name</th><th>Lua memory drift</th><th>samples</th></tr>${rows.join('')}</table>`,
      );
    }
  }
  return out.join('');
}

export const cyclesSection: ReportSection = {
  id: 'cycles',
  render(_run, summary) {
    const shown = summary.variants.filter((v) => v.cycles || v.drift);
    if (shown.length === 0) return null;
    const intro =
      "<p>reuse = the share of a later climb that fitted in memory already resident (1 - growth / need); kept reused = the share of what the night kept beyond its players that the next peak used; need = the first climb's Rss per player x the players who came back. Drift: least squares slope, interval from 10 batch means (docs/report.md).</p>";
    return { title: 'Cycles and drift', html: intro + shown.map(variantHtml).join('') };
  },
};
