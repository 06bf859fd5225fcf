// The metrics of a run, per variant: pure functions of the run folder's data. summary.json holds the result;
// docs/report.md defines every field (the definitions below are the reference).

import { residentWithoutMuzzy } from '../alloc/stats.js';
import type { Sample } from '../results/sample.js';
import type { LatencySummary, RunEvent, RunMeta } from '../results/layout.js';
import {
  errorCount,
  latencyMs,
  messagesPerSecond,
  worstLatency,
  type LatencyMs,
  type PhaseLatency,
} from './latency.js';
import type { Scenario } from '../scenario/types.js';
import { baselineNote, serverModel, type ServerModel } from '../results/server-model.js';
import { formatBytes } from '../units.js';
import { BREAKDOWN_PARTS, allocKind, breakdown, type AllocKind, type Breakdown } from './breakdown.js';
import { cycleSummary, type CycleSummary } from './cycles.js';
import { fidelityTables, skynetPairs, type FidelityTable } from './fidelity.js';
import { decaySummary, type DecaySummary } from './decay.js';
import { driftSummary, type DriftSummary } from './drift.js';
import { attributionSummary, type AttributionSummary } from './growers.js';
import { evenSeries, longWatchFields, type LongWatchFields } from './long-watch.js';
import { sizeClassSummary, type SizeClassSummary } from './sizeclass.js';
import { luaCodeSummary, type LuaCodeSummary } from './lua-code.js';
import { samplesByVariant, type RunData } from './load.js';
import {
  baselineSamples,
  finalHold,
  lastTenth,
  median,
  phaseEndMs,
  phaseSpans,
  rampDown,
  warmBaseline,
} from './phases.js';
import { checkValidity, type Validity } from './validity.js';
import { maxOf, minOf } from './extremes.js';

export const SUMMARY_SCHEMA = 'simload.summary';
/** 2: `fragmentation` became `residentPerAllocated`, `validity` and `settleState` were added (v1 files are read too). */
export const SUMMARY_SCHEMA_VERSION = 2;

/** Rss has settled once it has made this share of its fall from the peak to the settled Rss. */
export const SETTLE_FALL = 0.9;
/** A fall of at most this share of the swing (peak - baseline: retention >= 0.9), or under 1 MiB, is no fall: "never settled". */
export const SETTLE_MIN_FALL = 0.1;
const MIN_FALL_BYTES = 1024 * 1024;
/** LazyFree counts as taken back once below this fraction of its peak (or 1 MiB). */
export const LAZYFREE_RECLAIMED = 0.1;

export interface VariantSummary {
  variant: string;
  allocKind: AllocKind;
  samples: number;
  /** ms from the first to the last sample. */
  durationMs: number;
  peakOnline: number;
  /** Median Rss of the last third of the samples before the first phase (after the runtime's warm-up). */
  baselineRss: number;
  peakRss: number;
  peakRssAtMs: number;
  /** Median Rss over the last tenth of the final hold. */
  settledRss: number | null;
  settle: { phaseIndex: number; phase: string; fromMs: number; toMs: number; samples: number } | null;
  /** (settled - baseline) / (peak - baseline): 0 = all given back, 1 = nothing given back. */
  retention: number | null;
  /** Median over the settle window of LazyFree / Rss. */
  lazyFreeShare: number | null;
  /** Median over the settle window of jemalloc's dirty pages / Rss. */
  dirtyShare: number | null;
  /** Median over the settle window of Rss - LazyFree: what the kernel cannot take back without the process. */
  unreclaimableRss: number | null;
  /**
   * Median over the settle window of jemalloc's resident / allocated: all overhead per live byte (fragmentation,
   * dirty pages, metadata). Called `fragmentation` before summary v2; the breakdown's `fragmentation` part is
   * active - allocated only.
   */
  residentPerAllocated: number | null;
  /** (peak Rss - baseline Rss) / peak online players. */
  bytesPerPlayer: number | null;
  /** (highest allocated - baseline allocated) / peak online players: the player state itself. */
  liveBytesPerPlayer: number | null;
  /** When the ramp-down ended (ms since the server started), null without a ramp-down. */
  rampDownEndMs: number | null;
  /**
   * From the ramp-down's end until Rss has made SETTLE_FALL of its fall from the peak to the settled Rss (0 when
   * it had by the ramp-down's end). Null when not measured or never settled: see settleState.
   */
  timeToSettleMs: number | null;
  /**
   * `never`: Rss did not fall (by less than SETTLE_MIN_FALL of the swing); `unknown`: no ramp-down or final hold;
   * `not-applicable`: Rss never grew (by under 1 MiB), so there was nothing to give back.
   */
  settleState: 'settled' | 'never' | 'unknown' | 'not-applicable';
  /** Did the run deliver its load (analysis/validity.ts)? An invalid variant passes no threshold. */
  validity: Validity;
  lazyFree: {
    peak: number;
    peakAtMs: number | null;
    /** Highest LazyFree / Rss of any sample. */
    maxShareOfRss: number;
    /** Highest LazyFree during the final hold, and that over the peak Rss. */
    maxInFinalHold: number | null;
    maxInFinalHoldShareOfPeakRss: number | null;
    /** First sample after the peak with LazyFree below LAZYFREE_RECLAIMED x peak; null = still held at the end. */
    reclaimedAtMs: number | null;
    reclaimedPhase: string | null;
  };
  /** Median of each part over the settle window; rest = settled Rss - the others, so the parts add up. */
  settledBreakdown: Breakdown | null;
  /** Lowest and highest rest / Rss of any sample with allocator stats (how far the breakdown is trusted). */
  restShare: { min: number; max: number } | null;
  /** Samples where the allocator's stats did not come in time. */
  samplesWithoutAlloc: number;
  /** Per phase label (`0:ramp`, `1:hold`, ...) from latency.json, in ms. */
  latency: Record<string, PhaseLatency>;
  /** Highest of each percentile over the phases (what `p99 < 50ms` checks). */
  worstLatency: LatencyMs | null;
  messagesPerSecond: number | null;
  /** Client errors + connect failures (latency.json) + error events of this variant; server errors without latency.json. */
  errors: number;
  /** Per-arena decay (decay.ts); null/absent for runs without per-arena stats. */
  decay?: DecaySummary | null;
  /** active - allocated by jemalloc size class at the peak and at settle (sizeclass.ts); null/absent without them. */
  sizeClasses?: SizeClassSummary | null;
  /** Lua agents: where the VMs' function prototypes were and what they cost per VM (absent without Lua agents). */
  luaCode?: LuaCodeSummary | null;
  /** Per-cycle peaks and reuse of a run with several peaks (cycles.ts); null/absent with one peak. */
  cycles?: CycleSummary | null;
  /** Memory growth per hour over the drift window (drift.ts); null/absent when the window is too short. */
  drift?: DriftSummary | null;
  /** A watched skynet's services: C memory of exited ones, the top growers between marks (growers.ts); absent without. */
  attribution?: AttributionSummary | null;
}

export interface Summary extends LongWatchFields {
  schema: typeof SUMMARY_SCHEMA;
  v: typeof SUMMARY_SCHEMA_VERSION;
  scenario: string | null;
  status: RunMeta['status'] | null;
  startedAt: string | null;
  endedAt: string | null;
  variants: VariantSummary[];
  /** Things a reader should know: cut lines, missing files, the server model and the baseline. */
  notes: string[];
  /** Which server the figures describe (agent kind, service library, Lua), from the scenario; absent before it. */
  server?: ServerModel;
  /** False when any variant did not deliver its load; `invalid` says why, per variant. Absent in v1 files. */
  valid?: boolean;
  invalid?: string[];
  /** A run with real skynet variants (`skynet:`): each beside the simload variants of its build (fidelity.ts). */
  fidelity?: FidelityTable[];
}

export function summarize(run: RunData): Summary {
  const order = run.meta?.variants ?? [];
  const byVariant = samplesByVariant(run);
  const notes: string[] = [];
  if (run.skippedLines > 0)
    notes.push(`${run.skippedLines} unreadable line(s) skipped in samples/events (a run stopped mid-write)`);
  if (!run.latency) notes.push('no latency.json: latency, messages/s and client errors are unknown');
  const long = longWatchFields(run);
  notes.push(...long.notes);
  // Drift of a folder with downsampled samples is fitted to an evenly spaced series (long-watch.ts).
  const evenMs = run.older ? (run.meta?.retention?.periodMs ?? null) : null;
  for (const variant of new Set(order)) if (!byVariant.has(variant)) notes.push(`variant ${variant}: no samples`);
  const variants: VariantSummary[] = [];
  for (const [variant, samples] of byVariant) {
    variants.push(
      summarizeVariant(variant, samples, run.events, run.scenario, run.latency?.variants[variant] ?? null, evenMs),
    );
  }
  // Only simload's own server reports its runtime: a watch or a real skynet's folder describes another server.
  const model = run.samples.some((x) => x.runtime) ? serverModel(run.scenario?.server) : null;
  if (model) {
    notes.push(`server model: ${model.words}`);
    if (variants.length)
      notes.push(baselineNote(variants.map((v) => ({ variant: v.variant, rss: formatBytes(v.baselineRss) }))));
    if (model.bareNote) notes.push(model.bareNote);
  }
  const invalid = variants.flatMap((v) => v.validity.reasons.map((r) => `${v.variant}: ${r}`));
  const pairs = skynetPairs(run.scenario);
  const side = { samples: run.samples, scenario: run.scenario, variants };
  const fidelity = pairs.length > 0 ? fidelityTables(side, side, pairs) : [];
  for (const v of order)
    if (!variants.some((x) => x.variant === v) && run.meta?.status === 'complete') invalid.push(`${v}: no samples`);
  return {
    schema: SUMMARY_SCHEMA,
    v: SUMMARY_SCHEMA_VERSION,
    scenario: run.meta?.scenario ?? run.scenario?.name ?? null,
    status: run.meta?.status ?? null,
    startedAt: run.meta?.startedAt ?? null,
    endedAt: run.meta?.endedAt ?? null,
    variants,
    notes,
    ...(model ? { server: model } : {}),
    ...long.fields,
    valid: invalid.length === 0,
    invalid,
    ...(fidelity.length > 0 ? { fidelity } : {}),
  };
}

export function summarizeVariant(
  variant: string,
  samples: Sample[],
  events: RunEvent[],
  scenario: Scenario | null,
  latency: Record<string, LatencySummary> | null,
  evenMs: number | null = null,
): VariantSummary {
  const spans = phaseSpans(samples);
  const withAlloc = samples.filter((s) => s.alloc !== null);
  const kind = withAlloc.length > 0 ? allocKind(withAlloc[0]!.alloc) : 'none';

  const baseline = baselineSamples(samples);
  const baselineRss = median(warmBaseline(baseline).map((s) => s.proc.rss))!;
  let peak = samples[0]!;
  for (const s of samples) if (s.proc.rss > peak.proc.rss) peak = s;
  const peakOnline = maxOf(
    samples.map((s) => s.online),
    0,
  );

  const hold = finalHold(spans, scenario);
  const win = hold ? lastTenth(hold) : [];
  const winAlloc = win.filter((s) => s.alloc !== null);
  const settledRss = median(win.map((s) => s.proc.rss));
  const swing = peak.proc.rss - baselineRss;
  const retention = settledRss !== null && swing > 0 ? (settledRss - baselineRss) / swing : null;

  const down = hold ? rampDown(spans, scenario, hold.phaseIndex) : null;
  const rampDownEndMs = down ? phaseEndMs(down, spans, events, variant) : null;
  const settle =
    rampDownEndMs !== null && settledRss !== null && hold
      ? settleTime(samples, peak.proc.rss, rampDownEndMs, hold.toMs, settledRss, baselineRss)
      : null;

  const baseAlloc = median(baseline.filter((s) => s.alloc).map((s) => s.alloc!.allocated));
  const maxAlloc = withAlloc.length ? maxOf(withAlloc.map((s) => s.alloc!.allocated)) : null;

  return {
    variant,
    allocKind: kind,
    samples: samples.length,
    durationMs: samples.at(-1)!.t - samples[0]!.t,
    peakOnline,
    baselineRss,
    peakRss: peak.proc.rss,
    peakRssAtMs: peak.t,
    settledRss,
    settle: hold
      ? { phaseIndex: hold.phaseIndex, phase: hold.phase, fromMs: win[0]!.t, toMs: win.at(-1)!.t, samples: win.length }
      : null,
    retention,
    lazyFreeShare: median(win.map((s) => share(s.proc.lazyFree, s.proc.rss))),
    dirtyShare: kind === 'jemalloc' ? median(winAlloc.map((s) => share(s.alloc!.pdirty, s.proc.rss))) : null,
    unreclaimableRss: median(win.map((s) => s.proc.rss - s.proc.lazyFree)),
    residentPerAllocated:
      kind === 'jemalloc' || kind === 'jmem'
        ? median(
            winAlloc
              .filter((s) => s.alloc!.allocated > 0)
              .map((s) => residentWithoutMuzzy(s.alloc!) / s.alloc!.allocated),
          )
        : null,
    bytesPerPlayer: peakOnline > 0 ? (peak.proc.rss - baselineRss) / peakOnline : null,
    liveBytesPerPlayer:
      peakOnline > 0 && baseAlloc !== null && maxAlloc !== null ? (maxAlloc - baseAlloc) / peakOnline : null,
    rampDownEndMs,
    timeToSettleMs: settle?.ms ?? null,
    settleState: !settle
      ? 'unknown'
      : settle.notApplicable
        ? 'not-applicable'
        : settle.ms === null
          ? 'never'
          : 'settled',
    lazyFree: lazyFreeTimeline(samples, hold?.samples ?? [], peak.proc.rss),
    settledBreakdown: settledBreakdown(win, settledRss),
    restShare: restShare(withAlloc),
    samplesWithoutAlloc: samples.length - withAlloc.length,
    latency: latencyMs(latency),
    worstLatency: worstLatency(latency),
    messagesPerSecond: messagesPerSecond(latency, samples),
    errors: errorCount(variant, latency, events, samples),
    decay: decaySummary(samples, rampDownEndMs, hold),
    sizeClasses: sizeClassSummary(samples, win),
    ...luaCodeField(samples),
    cycles: cycleSummary(samples, spans, scenario, baselineRss),
    drift:
      evenMs === null
        ? driftSummary(samples, hold, scenario?.record.warmupMs)
        : driftSummary(
            evenSeries(samples, evenMs),
            hold && { ...hold, samples: evenSeries(hold.samples, evenMs) },
            scenario?.record.warmupMs,
          ),
    ...attributionField(samples),
    validity: checkValidity(samples, latency, events, variant, scenario),
  };
}

function attributionField(samples: Sample[]): { attribution?: AttributionSummary } {
  const a = attributionSummary(samples);
  return a ? { attribution: a } : {};
}

function share(part: number, whole: number): number {
  return whole > 0 ? part / whole : 0;
}

/**
 * Time from `endMs` (the ramp-down's end) until Rss has made SETTLE_FALL of its fall from `peak` (the variant's
 * peak Rss) to `settled`: the first sample at or after `endMs` with Rss <= peak - SETTLE_FALL x (peak - settled);
 * 0 when the last sample before `endMs` already was. `ms: null` = never settled: the fall is at most
 * SETTLE_MIN_FALL of the swing (peak - baseline) or under 1 MiB, or the level is not reached by `toMs`;
 * not applicable when Rss never grew by 1 MiB.
 * Resolution: one sample interval.
 */
export function settleTime(
  samples: Sample[],
  peak: number,
  endMs: number,
  toMs: number,
  settled: number,
  baseline: number,
): { ms: number | null; notApplicable?: true } {
  // No growth, nothing to give back: "never settled" would rank the idle case worst.
  if (peak - baseline < MIN_FALL_BYTES) return { ms: null, notApplicable: true };
  const fall = peak - settled;
  if (fall < MIN_FALL_BYTES || fall <= SETTLE_MIN_FALL * (peak - baseline)) return { ms: null };
  const level = peak - SETTLE_FALL * fall;
  const lastBefore = [...samples].reverse().find((s) => s.t < endMs);
  if (lastBefore && lastBefore.proc.rss <= level) return { ms: 0 };
  const hit = samples.find((s) => s.t >= endMs && s.t <= toMs && s.proc.rss <= level);
  return { ms: hit ? hit.t - endMs : null };
}

function lazyFreeTimeline(samples: Sample[], holdSamples: Sample[], peakRss: number): VariantSummary['lazyFree'] {
  let peakIdx = -1;
  samples.forEach((s, i) => {
    if (s.proc.lazyFree > 0 && (peakIdx < 0 || s.proc.lazyFree > samples[peakIdx]!.proc.lazyFree)) peakIdx = i;
  });
  const peak = peakIdx >= 0 ? samples[peakIdx]!.proc.lazyFree : 0;
  // Under 1 MiB left is taken back too: a few pages of LazyFree held to the end are not "still held".
  const line = Math.max(LAZYFREE_RECLAIMED * peak, MIN_FALL_BYTES);
  const back = peakIdx >= 0 ? samples.slice(peakIdx + 1).find((s) => s.proc.lazyFree < line) : undefined;
  const maxInHold = holdSamples.length ? maxOf(holdSamples.map((s) => s.proc.lazyFree)) : null;
  return {
    peak,
    peakAtMs: peakIdx >= 0 ? samples[peakIdx]!.t : null,
    maxShareOfRss: maxOf(
      samples.map((s) => share(s.proc.lazyFree, s.proc.rss)),
      0,
    ),
    maxInFinalHold: maxInHold,
    maxInFinalHoldShareOfPeakRss: maxInHold !== null && peakRss > 0 ? maxInHold / peakRss : null,
    reclaimedAtMs: back ? back.t : null,
    reclaimedPhase: back ? `${back.phaseIndex}:${back.phase}` : null,
  };
}

function settledBreakdown(win: Sample[], settledRss: number | null): Breakdown | null {
  if (settledRss === null || win.length === 0) return null;
  const parts = win.map((s) => breakdown(s));
  const withStats = parts.filter((b) => b.kind !== 'none');
  const kind = withStats[0]?.kind ?? 'none';
  const med = (p: 'live' | 'fragmentation' | 'dirty' | 'metadata' | 'residentNotActive') =>
    kind === 'none' || withStats[0]![p] === null ? null : median(withStats.map((b) => b[p] ?? 0));
  const out: Breakdown = {
    kind,
    rss: settledRss,
    live: med('live'),
    fragmentation: med('fragmentation'),
    dirty: med('dirty'),
    metadata: med('metadata'),
    residentNotActive: med('residentNotActive'),
    lazyFree: median(parts.map((b) => b.lazyFree))!,
    rest: 0,
  };
  out.rest = settledRss - BREAKDOWN_PARTS.filter((p) => p !== 'rest').reduce((sum, p) => sum + (out[p] ?? 0), 0);
  return out;
}

function restShare(withAlloc: Sample[]): VariantSummary['restShare'] {
  if (withAlloc.length === 0) return null;
  const shares = withAlloc.map((s) => share(breakdown(s).rest, s.proc.rss));
  return { min: minOf(shares), max: maxOf(shares) };
}

function luaCodeField(samples: readonly Sample[]): { luaCode?: LuaCodeSummary } {
  const c = luaCodeSummary(samples);
  return c ? { luaCode: c } : {};
}
