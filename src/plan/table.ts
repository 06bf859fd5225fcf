// The plan in the console: measured points, then the recommendation per variant. Pure.

import { formatBytes, formatDuration } from '../units.js';
import type { PlanFile } from '../results/plan.js';

export function formatPlanTable(plan: PlanFile): string {
  const lines: string[] = [];
  const pct = (f: number) => `${(f * 100).toFixed(f * 100 < 10 ? 1 : 0)}%`;
  lines.push(
    `capacity plan: ${plan.scenario}, budget ${formatBytes(plan.budgetBytes)}, headroom ${pct(plan.headroom)} -> usable ${formatBytes(plan.usableBytes)}` +
      ` (${plan.status}, ${formatDuration(plan.durationMs)})`,
  );
  lines.push('');
  const measured: string[][] = [
    ['variant', 'players', 'peak Rss', 'peak Rss-LazyFree', 'settled Rss', 'settled LazyFree', 'settled needed'],
  ];
  for (const v of plan.variants) {
    for (const p of v.points) {
      measured.push([
        v.variant,
        String(p.players),
        formatBytes(p.peakRss),
        formatBytes(p.peakUnreclaimable),
        formatBytes(p.settledRss),
        formatBytes(p.settledLazyFree),
        formatBytes(p.settledUnreclaimable),
      ]);
    }
  }
  lines.push('measured (each run ramps to the peak, holds, ramps down, holds):', ...grid(measured), '');

  const rec: string[][] = [
    [
      'variant',
      'bytes/player',
      'base',
      'r²',
      'recommended',
      'if LazyFree reclaimed',
      'peak Rss there',
      'settled there: reclaimable / needed',
      'verify',
    ],
  ];
  for (const v of plan.variants) {
    const f = v.fit;
    if (!f) {
      rec.push([v.variant, '-', '-', '-', 'no fit', '-', '-', '-', v.verify?.result ?? '-']);
      continue;
    }
    const at = f.atRecommended;
    rec.push([
      v.variant,
      formatBytes(f.bytesPerPlayer),
      formatBytes(f.baseBytes),
      f.lines.peakRss.r2.toFixed(3),
      f.recommended === null ? 'none' : `${f.recommended}${f.extrapolated ? ' (extrapolated)' : ''}`,
      f.fitsIfReclaimed === null ? 'none' : String(f.fitsIfReclaimed),
      at ? formatBytes(at.peakRss) : '-',
      at ? `${formatBytes(at.settledReclaimable)} / ${formatBytes(at.settledNeeded)}` : '-',
      v.verify ? `${v.verify.result}${v.verify.players ? ` at ${v.verify.players}` : ''}` : 'not run',
    ]);
  }
  lines.push('recommendation (largest count whose fitted peak Rss fits the usable budget):', ...grid(rec));
  // The count is only as good as the server it was measured on: say which.
  if (plan.model) {
    lines.push(`assumes: ${plan.model.words}; the base is the simulator's constant, bytes/player the players'`);
    if (plan.model.bareNote) lines.push(`  ${plan.model.bareNote}`);
  }
  const notes = [
    ...plan.notes,
    ...plan.variants.flatMap((v) => [
      ...v.notes.map((n) => `${v.variant}: ${n}`),
      ...(v.verify ? [`${v.variant} verify: ${v.verify.detail}`] : []),
    ]),
  ];
  if (notes.length) lines.push('', ...notes.map((n) => `- ${n}`));
  return lines.join('\n') + '\n';
}

function grid(rows: string[][]): string[] {
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => (r[c] ?? '').length)));
  return rows.map((r) =>
    r
      .map((cell, c) => (c === 0 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!)))
      .join('  ')
      .trimEnd(),
  );
}
