// simload against a real skynet, variant by variant: the metrics of both sides (from the report's own summary), the
// jemalloc-side Rss of each, the process Rss growth over the baseline, each server's CPU cost (server-cpu.ts), each
// ratio simload/skynet and the targets; then where active - allocated lies at settle, size class by size class.
// The two sides come from two run folders (`simload fidelity`) or from one (`simload run` of a scenario with a
// `skynet:` variant: each skynet variant beside the simload variants of the same build). Pure.
//
// jemalloc-side Rss = Rss minus what lies outside the allocator:
//   simload: the breakdown's `rest` at each sample (Node, V8, code, stacks: breakdown.ts);
//   skynet:  a constant, its Rss minus jemalloc `stats.resident` before any player (the median over the baseline
//            samples): the binary, thread stacks and libc, which do not grow with players because every service,
//            Lua VM and message of skynet is allocated through jemalloc.
import type { Sample } from '../results/sample.js';
import type { Scenario } from '../scenario/types.js';
import { breakdown } from './breakdown.js';
import { isQuiet, madvExtraRow, quietArenaTicks, quietRows, quietTickRows, type ByBuild } from './fidelity-quiet.js';
import type { HoldTicks } from './decay-ticks.js';
import { baselineSamples, median } from './phases.js';
import { cpuFigures, type CpuFigures } from './server-cpu.js';
import type { SizeClassPoint } from './sizeclass.js';
import type { VariantSummary } from './summary.js';

/** `cpu-ms`: a small CPU time, shown with decimals (per login, per 1 000 messages). */
export type Unit = 'bytes' | 'ms' | 'cpu-ms' | 'fraction' | 'count';

export interface FidelityRow {
  metric: string;
  unit: Unit;
  simload: number | null;
  skynet: number | null;
  /** simload / skynet. */
  ratio: number | null;
  /** The row's target, when it has one, and whether it holds (null: not measurable). */
  target?: string;
  pass?: boolean | null;
  /** Shown across pairs (`--repeat`) although it has no target. */
  spread?: true;
}

export interface FidelityTable {
  /** The simload variant. */
  variant: string;
  /** The skynet variant, when its name differs (a run with `skynet:` variants); else both sides are `variant`. */
  skynet?: string;
  rows: FidelityRow[];
  /** LazyFree after the ramp-down, shown as words: `taken back after 12s`, `held to the end`, `none`. */
  lazyFree: { simload: string; skynet: string };
  notes: string[];
  /**
   * Why a side's run is not a measurement (its load validity's reasons, `simload: ...` / `skynet: ...`); empty
   * when both delivered their load. A table with any is INVALID: no target row passes or misses on it.
   */
  invalid: string[];
  /** active - allocated at settle by size class, both sides; null when either has no size classes. */
  sizeClasses: SizeClassComparison | null;
  /** A quiet night: each side's decay ticks per arena over the quiet hold (decay-ticks.ts). Absent otherwise. */
  arenaTicks?: { simload: HoldTicks | null; skynet: HoldTicks | null };
}

/** Size classes shown one by one in the comparison; the rest are summed. */
export const TOP_SIZE_CLASSES = 10;

export interface SizeClassCompareRow {
  /** A class's size in bytes, or a total: `others` (classes not shown), `small`, `large`, `total` (active - allocated). */
  size: number | 'others' | 'small' | 'large' | 'total';
  /** active - allocated, bytes (0 when that side has nothing of the class). */
  simload: number;
  skynet: number;
  /** simload / skynet; null when skynet's is 0. */
  ratio: number | null;
  /** allocated / active of the class's slabs on each side; null for totals or without slabs. */
  simloadUtil: number | null;
  skynetUtil: number | null;
}

export interface SizeClassComparison {
  /** The TOP_SIZE_CLASSES classes with the most active - allocated on either side, largest first, then the totals. */
  rows: SizeClassCompareRow[];
}

interface Side {
  v: VariantSummary;
  samples: Sample[];
  outside: (s: Sample) => number;
  cpu: CpuFigures | null;
}

/** One side of the comparison: a run folder's samples and scenario, and the summary of its variants. */
export interface FidelitySide {
  samples: Sample[];
  scenario: Scenario | null;
  variants: VariantSummary[];
}

/** A simload variant beside a skynet variant, by name; `build` is the jemalloc recipe both ran. */
export interface FidelityPair {
  simload: string;
  skynet: string;
  build?: string;
}

/** The tables of `pairs`, simload's side from `sim`, skynet's from `sky` (the same folder for a mixed run). */
export function fidelityTables(sim: FidelitySide, sky: FidelitySide, pairs: FidelityPair[]): FidelityTable[] {
  const out: FidelityTable[] = [];
  const quiet = isQuiet(sim.scenario);
  const simBy: ByBuild = {};
  const skyBy: ByBuild = {};
  for (const p of pairs) {
    const sv = sim.variants.find((v) => v.variant === p.simload);
    const kv = sky.variants.find((v) => v.variant === p.skynet);
    if (!sv || !kv) continue;
    const build = (p.build ?? p.skynet) as keyof ByBuild;
    simBy[build] ??= sv;
    skyBy[build] ??= kv;
    const simSamples = sim.samples.filter((s) => s.variant === sv.variant && s.alloc).sort((a, b) => a.t - b.t);
    const skySamples = sky.samples.filter((s) => s.variant === kv.variant && s.alloc).sort((a, b) => a.t - b.t);
    const skyOutside = median(baselineSamples(skySamples).map((s) => s.proc.rss - s.alloc!.resident)) ?? 0;
    const t = compareVariant(
      { v: sv, samples: simSamples, outside: (s) => breakdown(s).rest, cpu: cpuFigures(simSamples) },
      { v: kv, samples: skySamples, outside: () => skyOutside, cpu: cpuFigures(skySamples) },
    );
    if (kv.variant !== sv.variant) t.skynet = kv.variant;
    if (quiet) {
      t.rows.push(...quietRows(sv, kv), ...quietTickRows(sv, kv));
      const ticks = quietArenaTicks(sv, kv);
      if (ticks) t.arenaTicks = ticks;
    }
    out.push(t);
  }
  const extra = quiet ? madvExtraRow(simBy, skyBy) : null;
  if (extra) out.find((t) => t.variant === simBy['madv-free']?.variant)?.rows.push(extra);
  return out;
}

/**
 * In one run folder: each skynet variant (`skynet:` in the scenario) beside every simload variant of the same
 * jemalloc recipe (`build:`), in scenario order. Empty when the folder has no skynet variant.
 */
export function skynetPairs(scenario: Scenario | null): FidelityPair[] {
  const variants = scenario?.variants ?? [];
  const out: FidelityPair[] = [];
  for (const k of variants) {
    if (!k.skynet) continue;
    for (const v of variants)
      if (!v.skynet && v.lib === undefined && v.build === k.skynet.build)
        out.push({ simload: v.name, skynet: k.name, build: k.skynet.build });
  }
  return out;
}

/** LazyFree taken back: ms from the ramp-down's end; null = held to the end; NaN = there was none. */
export function lazyFreeBackMs(v: VariantSummary): number | null {
  if (v.lazyFree.peak === 0) return NaN;
  if (v.lazyFree.reclaimedAtMs === null) return null;
  return Math.max(0, v.lazyFree.reclaimedAtMs - (v.rampDownEndMs ?? v.lazyFree.peakAtMs ?? 0));
}

function jemSide(side: Side): { peak: number | null; settled: number | null } {
  const values = side.samples.map((s) => ({ t: s.t, jem: s.proc.rss - side.outside(s) }));
  const win = side.v.settle;
  return {
    peak: values.length ? Math.max(...values.map((x) => x.jem)) : null,
    settled: win ? median(values.filter((x) => x.t >= win.fromMs && x.t <= win.toMs).map((x) => x.jem)) : null,
  };
}

const ratioOf = (a: number | null, b: number | null): number | null =>
  a !== null && b !== null && b !== 0 ? a / b : null;
const within = (r: number | null, tol: number): boolean | null => (r === null ? null : Math.abs(r - 1) <= tol);

function compareVariant(sim: Side, sky: Side): FidelityTable {
  const row = (metric: string, unit: Unit, a: number | null, b: number | null, tol?: number): FidelityRow => {
    const ratio = ratioOf(a, b);
    return tol === undefined
      ? { metric, unit, simload: a, skynet: b, ratio }
      : { metric, unit, simload: a, skynet: b, ratio, target: `within ${tol * 100}%`, pass: within(ratio, tol) };
  };
  const js = jemSide(sim);
  const jk = jemSide(sky);
  const backSim = lazyFreeBackMs(sim.v);
  const backSky = lazyFreeBackMs(sky.v);
  const lazyRow: FidelityRow = {
    metric: 'LazyFree taken back after the ramp-down',
    unit: 'ms',
    simload: backSim !== null && !Number.isNaN(backSim) ? backSim : null,
    skynet: backSky !== null && !Number.isNaN(backSky) ? backSky : null,
    ratio: null,
    target: 'within 50% of skynet, or held in both',
    pass: lazyPass(backSim, backSky),
  };
  lazyRow.ratio = ratioOf(lazyRow.simload, lazyRow.skynet);
  const notes: string[] = [];
  const invalid = [
    ...(sim.v.validity?.reasons ?? []).map((r) => `simload: ${r}`),
    ...(sky.v.validity?.reasons ?? []).map((r) => `skynet: ${r}`),
  ];
  if (sim.v.peakOnline !== sky.v.peakOnline)
    notes.push(`peak online differs: simload ${sim.v.peakOnline}, skynet ${sky.v.peakOnline}`);
  if (!sim.cpu || !sky.cpu)
    notes.push(`no CPU times in the ${!sim.cpu ? 'simload' : 'skynet'} samples (recorded before they were read)`);
  const growth = (v: VariantSummary, at: number | null) => (at === null ? null : at - v.baselineRss);
  const cpuRow = (metric: string, unit: Unit, f: (c: CpuFigures) => number | null): FidelityRow => ({
    ...row(metric, unit, sim.cpu ? f(sim.cpu) : null, sky.cpu ? f(sky.cpu) : null),
    spread: true,
  });
  return {
    variant: sim.v.variant,
    rows: [
      row('peak online', 'count', sim.v.peakOnline, sky.v.peakOnline),
      row('peak Rss', 'bytes', sim.v.peakRss, sky.v.peakRss),
      row('settled Rss', 'bytes', sim.v.settledRss, sky.v.settledRss),
      row('retention', 'fraction', sim.v.retention, sky.v.retention),
      row('process Rss growth at the peak', 'bytes', growth(sim.v, sim.v.peakRss), growth(sky.v, sky.v.peakRss), 0.1),
      row(
        'process Rss growth at settle',
        'bytes',
        growth(sim.v, sim.v.settledRss),
        growth(sky.v, sky.v.settledRss),
        0.15,
      ),
      row('peak jemalloc-side Rss', 'bytes', js.peak, jk.peak, 0.1),
      row('settled jemalloc-side Rss', 'bytes', js.settled, jk.settled, 0.15),
      row('LazyFree peak', 'bytes', sim.v.lazyFree.peak, sky.v.lazyFree.peak),
      lazyRow,
      row('dirty at settle', 'bytes', sim.v.settledBreakdown?.dirty ?? null, sky.v.settledBreakdown?.dirty ?? null),
      row(
        'active - allocated at settle',
        'bytes',
        sim.v.settledBreakdown?.fragmentation ?? null,
        sky.v.settledBreakdown?.fragmentation ?? null,
        0.25,
      ),
      row('time to settle', 'ms', sim.v.timeToSettleMs, sky.v.timeToSettleMs),
      row('messages/s (whole run)', 'count', sim.v.messagesPerSecond, sky.v.messagesPerSecond),
      row('errors', 'count', sim.v.errors, sky.v.errors),
      cpuRow('server CPU (whole run)', 'ms', (c) => c.totalMs),
      cpuRow('server CPU per 1 000 messages', 'cpu-ms', (c) => c.perThousandMessagesMs),
      cpuRow('server CPU per login', 'cpu-ms', (c) => c.perLoginMs),
    ],
    lazyFree: { simload: lazyWords(backSim), skynet: lazyWords(backSky) },
    notes,
    invalid,
    sizeClasses: compareSizeClasses(sim.v.sizeClasses?.settle ?? null, sky.v.sizeClasses?.settle ?? null),
  };
}

/** Joins the two settle points by class size (both sides run the same jemalloc, so the same classes). */
export function compareSizeClasses(sim: SizeClassPoint | null, sky: SizeClassPoint | null): SizeClassComparison | null {
  if (!sim || !sky) return null;
  const simBy = new Map(sim.classes.map((c) => [c.size, c]));
  const skyBy = new Map(sky.classes.map((c) => [c.size, c]));
  const sizes = [...new Set([...simBy.keys(), ...skyBy.keys()])];
  const gap = (m: Map<number, { gap: number }>, size: number) => m.get(size)?.gap ?? 0;
  sizes.sort((a, b) => Math.max(gap(simBy, b), gap(skyBy, b)) - Math.max(gap(simBy, a), gap(skyBy, a)) || a - b);
  const row = (
    size: SizeClassCompareRow['size'],
    a: number,
    b: number,
    ua: number | null = null,
    ub: number | null = null,
  ): SizeClassCompareRow => ({
    size,
    simload: a,
    skynet: b,
    ratio: ratioOf(a, b),
    simloadUtil: ua,
    skynetUtil: ub,
  });
  const top = sizes.slice(0, TOP_SIZE_CLASSES);
  const rest = sizes.slice(TOP_SIZE_CLASSES);
  const rows = top.map((size) =>
    row(
      size,
      gap(simBy, size),
      gap(skyBy, size),
      simBy.get(size)?.utilisation ?? null,
      skyBy.get(size)?.utilisation ?? null,
    ),
  );
  if (rest.length)
    rows.push(
      row(
        'others',
        rest.reduce((t, z) => t + gap(simBy, z), 0),
        rest.reduce((t, z) => t + gap(skyBy, z), 0),
      ),
    );
  rows.push(
    row('small', sim.small, sky.small),
    row('large', sim.large, sky.large),
    row('total', sim.activeMinusAllocated, sky.activeMinusAllocated),
  );
  return { rows };
}

function lazyPass(sim: number | null, sky: number | null): boolean | null {
  const none = (x: number | null) => x !== null && Number.isNaN(x);
  if (none(sky)) return none(sim);
  if (sky === null) return sim === null;
  if (sim === null || none(sim)) return false;
  return Math.abs(sim - sky) <= 0.5 * sky;
}

function lazyWords(ms: number | null): string {
  if (ms === null) return 'held to the end';
  if (Number.isNaN(ms)) return 'none';
  return `after ${(ms / 1000).toFixed(1)}s`;
}
