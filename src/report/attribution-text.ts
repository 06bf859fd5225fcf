// The end of a `simload watch` on a terminal: exited services still holding C memory, and the top growers
// from the peak mark (or over the whole watch) to the end, from the summary's attribution. Pure.

import { formatBytes } from '../units.js';
import type { AttributionSummary, GrowthSpan } from '../analysis/growers.js';

/** Growers shown on the terminal; report.html lists TOP_GROWERS per span. */
const SHOWN = 5;

export function formatAttribution(a: AttributionSummary): string {
  const e = a.last.exited;
  const who = (address: string, name: string | null) => `${address}${name ? ` (${name})` : ''}`;
  const lines = [
    e.count === 0
      ? 'exited services holding C memory: none'
      : `exited services holding C memory: ${e.count}, ${formatBytes(e.bytes)}: ` +
        e.top.map((h) => `${who(h.address, h.name)} ${formatBytes(h.bytes)}`).join(', '),
  ];
  const span: GrowthSpan | undefined =
    a.spans.find((s) => (s.from === 'peak' || s.from === 'hold') && s.to === 'end') ?? a.spans.at(-1);
  if (span) {
    const grew = span.services
      .slice(0, SHOWN)
      .map(
        (g) =>
          `${who(g.address, g.name)} ${g.exact ? '+' : '>= +'}${formatBytes(g.growth)}${g.exited ? ' (exited)' : ''}`,
      );
    lines.push(
      `top growers (Lua + C memory) from ${span.from} to ${span.to}: ${grew.length ? grew.join(', ') : 'none'}`,
    );
  }
  return lines.join('\n') + '\n';
}
