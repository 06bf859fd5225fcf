// The report's "Beside a real skynet" section, for a run with `skynet:` variants: each skynet variant beside the
// simload variants of its build (summary.fidelity, analysis/fidelity.ts), the ratio and the targets, as `simload
// fidelity` prints them (fidelity-table.ts), then active - allocated at settle by size class. Null without skynet
// variants.

import type { FidelityTable } from '../analysis/fidelity.js';
import { rowCells, sizeClassCells } from './fidelity-table.js';
import { escapeHtml as esc, type ReportSection } from './sections.js';

function tableHtml(t: FidelityTable): string {
  const sky = t.skynet ?? t.variant;
  const invalid = t.invalid.length > 0;
  const out: string[] = [`<h3>${esc(t.variant)} beside ${esc(sky)}</h3>`];
  if (invalid) {
    out.push(
      `<div class="invalid"><p><strong>INVALID: a side did not deliver the load it asked for, so this table measures nothing</strong></p><ul>${t.invalid.map((r) => `<li>${esc(r)}</li>`).join('')}</ul></div>`,
    );
  }
  const rows = t.rows.map((r) => {
    const cells = rowCells(t, r);
    const pass = r.pass === undefined || invalid ? '' : ` data-pass="${r.pass === null ? 'n/a' : String(r.pass)}"`;
    return `<tr data-metric="${esc(r.metric)}"${pass}><td>${esc(r.metric)}</td>${cells.map((c) => `<td>${esc(c)}</td>`).join('')}</tr>`;
  });
  out.push(
    `<table class="fidelity" data-simload="${esc(t.variant)}" data-skynet="${esc(sky)}"><tr><th></th><th>simload ${esc(t.variant)}</th><th>skynet ${esc(sky)}</th><th>simload/skynet</th><th>target</th></tr>${rows.join('')}</table>`,
  );
  if (t.notes.length) out.push(`<ul class="notes">${t.notes.map((n) => `<li>${esc(n)}</li>`).join('')}</ul>`);
  if (t.sizeClasses) {
    const sc = t.sizeClasses.rows.map(
      (r) =>
        `<tr>${sizeClassCells(r)
          .map((c) => `<td>${esc(c)}</td>`)
          .join('')}</tr>`,
    );
    out.push(
      `<p>active - allocated at settle by size class (slab use = allocated / active of the class's slabs):</p>` +
        `<table><tr><th>size class</th><th>simload</th><th>skynet</th><th>simload/skynet</th><th>slab use simload</th><th>skynet</th></tr>${sc.join('')}</table>`,
    );
  }
  return out.join('');
}

export const fidelitySection: ReportSection = {
  id: 'fidelity',
  render(_run, summary) {
    if (!summary.fidelity?.length) return null;
    const intro =
      "<p>Each real skynet variant beside the simload variants of the same jemalloc build, from this folder's own samples: " +
      "jemalloc-side Rss is Rss minus what lies outside the allocator (simload: the breakdown's rest; skynet: its Rss minus jemalloc resident before any player). " +
      'Targets and method: docs/fidelity.md.</p>';
    return { title: 'Beside a real skynet', html: intro + summary.fidelity.map(tableHtml).join('') };
  },
};
