// The quiet-night rows of the fidelity table: after the drop the players left send almost nothing, so arenas
// go quiet and jemalloc 5.0.1 stops running their decay (it runs on an arena's own operations). What a real
// skynet keeps then is the incident in small: LazyFree and dirty pages held to the end, and the MADV_FREE build
// holding more Rss than the other. Judged only on a quiet scenario: a final hold whose message rate is at most a
// tenth of the load's. Pure.
import type { VariantSummary } from './summary.js';
import type { Scenario } from '../scenario/types.js';
import type { FidelityRow } from './fidelity.js';
import { purgedArenas, ticksPerMessage, type HoldTicks } from './decay-ticks.js';

/** Final hold at most this share of the load's message rate: a quiet night. */
export const QUIET_RATE_SHARE = 0.1;

export function isQuiet(s: Scenario | null): boolean {
  const last = s?.load.phases.at(-1);
  return !!s && last?.kind === 'hold' && last.rate !== undefined && last.rate <= QUIET_RATE_SHARE * s.load.messageRate;
}

const ratio = (a: number | null, b: number | null) => (a !== null && b !== null && b !== 0 ? a / b : null);

/** Within `tol` of skynet's value; both (near) zero counts as met (nothing held on either side). */
function held(metric: string, a: number | null, b: number | null, tol: number): FidelityRow {
  const MiB = 2 ** 20;
  const pass =
    a === null || b === null ? null : Math.abs(b) < MiB ? Math.abs(a) < MiB : Math.abs(a - b) <= tol * Math.abs(b);
  return {
    metric,
    unit: 'bytes',
    simload: a,
    skynet: b,
    ratio: ratio(a, b),
    target: `within ${tol * 100}% of skynet (under 1 MiB on both: met)`,
    pass,
  };
}

/** LazyFree and dirty pages at the end (median over the settle window), within 50% of skynet's. */
export function quietRows(sim: VariantSummary, sky: VariantSummary): FidelityRow[] {
  return [
    held('LazyFree at the end', sim.settledBreakdown?.lazyFree ?? null, sky.settledBreakdown?.lazyFree ?? null, 0.5),
    held('dirty at the end', sim.settledBreakdown?.dirty ?? null, sky.settledBreakdown?.dirty ?? null, 0.5),
  ];
}

/** One side's variants of each build (undefined when that side has none). */
export type ByBuild = Partial<Record<'madv-free' | 'no-madv-free', VariantSummary>>;

/** The madv-free build's settled Rss minus the no-madv-free build's, each side, within 30% of skynet's. Null without both. */
export function madvExtraRow(sim: ByBuild, sky: ByBuild): FidelityRow | null {
  const extra = (vs: ByBuild) => {
    const a = vs['madv-free']?.settledRss;
    const b = vs['no-madv-free']?.settledRss;
    return a !== undefined && a !== null && b !== undefined && b !== null ? a - b : null;
  };
  const a = extra(sim);
  const b = extra(sky);
  if (a === null || b === null) return null;
  return {
    ...held("MADV_FREE build's extra Rss at the end (over no-madv-free)", a, b, 0.3),
    target: 'within 30% of skynet',
  };
}

/** Each side's decay ticks per arena over the quiet hold; null when neither side counted them. */
export function quietArenaTicks(
  sim: VariantSummary,
  sky: VariantSummary,
): { simload: HoldTicks | null; skynet: HoldTicks | null } | null {
  const a = sim.decay?.holdTicks ?? null;
  const b = sky.decay?.holdTicks ?? null;
  return a || b ? { simload: a, skynet: b } : null;
}

/**
 * What drove decay in the quiet hold, each side: decay ticks per message handled (all arenas) and the arenas
 * that purged. No target: they say why the held pages differ. Shown across pairs.
 */
export function quietTickRows(sim: VariantSummary, sky: VariantSummary): FidelityRow[] {
  const a = sim.decay?.holdTicks ?? null;
  const b = sky.decay?.holdTicks ?? null;
  if (!a && !b) return [];
  const row = (metric: string, unit: FidelityRow['unit'], x: number | null, y: number | null): FidelityRow => ({
    metric,
    unit,
    simload: x,
    skynet: y,
    ratio: ratio(x, y),
    spread: true,
  });
  return [
    row('decay ticks per message in the quiet hold', 'fraction', ticksPerMessage(a), ticksPerMessage(b)),
    row('arenas that purged in the quiet hold', 'count', purgedArenas(a), purgedArenas(b)),
  ];
}
