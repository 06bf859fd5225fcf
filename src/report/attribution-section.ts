// "Which service holds it" in report.html, for a watched skynet read with `cmem`, `list` and `mem`: C memory
// still charged to services that exited, and the services whose Lua + C memory grew most between marks (the
// summary's attribution, analysis/growers.ts).

import type { CmemGroup } from '../results/sample.js';
import { formatBytes } from '../units.js';
import { sec } from './chart-kit.js';
import type { GrowthSpan } from '../analysis/growers.js';
import type { RunData } from '../analysis/load.js';
import { escapeHtml as esc, type ReportSection, type ReportSectionOutput } from './sections.js';
import type { Summary } from '../analysis/summary.js';

const bytes = (b: number | null) => (b === null ? 'unknown' : formatBytes(b));

function groupLine(label: string, g: CmemGroup): string {
  return `${esc(label)} ${esc(formatBytes(g.bytes))} in ${g.count}`;
}

function exitedTable(g: CmemGroup): string {
  if (g.count === 0) return '<p>No exited service holds C memory.</p>';
  const rows = g.top
    .map((h) => `<tr><td>${esc(h.address)}</td><td>${esc(h.name ?? '')}</td><td>${esc(formatBytes(h.bytes))}</td></tr>`)
    .join('');
  const shown = g.top.reduce((a, h) => a + h.bytes, 0);
  const more =
    g.count > g.top.length
      ? `<p>and ${g.count - g.top.length} more exited services holding ${esc(formatBytes(g.bytes - shown))}.</p>`
      : '';
  return `<table class="skynet-exited"><tr><th>service (exited)</th><th>last launched as</th><th>C memory still charged</th></tr>${rows}</table>${more}`;
}

function growersTable(s: GrowthSpan): string {
  const title =
    `Top growers from ${esc(s.from)} to ${esc(s.to)} (${sec(s.fromMs)} s to ${sec(s.toMs)} s): Lua ${esc(bytes(s.luaFrom))} to ${esc(bytes(s.luaTo))}, ` +
    `C ${esc(bytes(s.cFrom))} to ${esc(bytes(s.cTo))}`;
  if (s.services.length === 0) return `<h4>${title}</h4><p>No service grew.</p>`;
  const rows = s.services
    .map(
      (g) =>
        `<tr><td>${esc(g.address)}</td><td>${esc(g.name ?? '')}${g.exited ? ' (exited)' : ''}</td><td>${esc(formatBytes(g.from))}</td>` +
        `<td>${esc(formatBytes(g.to))}</td><td>${g.exact ? '' : '&ge; '}${esc(formatBytes(g.growth))}</td><td>${esc(formatBytes(g.cmem))}</td></tr>`,
    )
    .join('');
  return (
    `<h4>${title}</h4><table class="skynet-growers"><tr><th>service</th><th>launched as</th><th>Lua + C at start</th><th>at end</th>` +
    `<th>growth</th><th>of which C at end</th></tr>${rows}</table>`
  );
}

function render(_run: RunData, summary: Summary): ReportSectionOutput | null {
  const html: string[] = [];
  for (const v of summary.variants) {
    const a = v.attribution;
    if (!a) continue;
    const l = a.last;
    html.push(
      `<h3>${esc(v.variant)}</h3><p>${a.readings} readings of <code>mem</code>, <code>cmem</code> and <code>list</code>. At the last (${sec(l.t)} s), C memory: ` +
        `${groupLine('services in the list', l.live)}, ${groupLine('exited services', l.exited)}, ${groupLine('handles never listed (launcher, bootstrap, C services, or gone before the watch)', l.unlisted)}. ` +
        'A growth marked &ge; is a lower bound: the service was below the names a sample keeps (--skynet-top).</p>',
    );
    html.push(exitedTable(l.exited));
    for (const s of a.spans) html.push(growersTable(s));
  }
  return html.length ? { title: 'Which service holds it (skynet mem, cmem)', html: html.join('') } : null;
}

export const attributionSection: ReportSection = { id: 'attribution', render };
