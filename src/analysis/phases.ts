// Finds, in one variant's samples, the moments the metrics are measured at: the baseline (before players),
// the final hold (where memory should have settled) and the end of the ramp-down. Pure.

import type { Sample } from '../results/sample.js';
import type { RunEvent } from '../results/layout.js';
import type { Scenario } from '../scenario/types.js';
import { maxOf, minOf } from './extremes.js';

export interface PhaseSpan {
  phaseIndex: number;
  phase: string;
  /** Sample times (ms since the server started) of the phase's first and last samples. */
  fromMs: number;
  toMs: number;
  samples: Sample[];
}

/** Consecutive samples grouped by phaseIndex, in time order. */
export function phaseSpans(samples: Sample[]): PhaseSpan[] {
  const spans = new Map<number, PhaseSpan>();
  for (const s of samples) {
    let span = spans.get(s.phaseIndex);
    if (!span)
      spans.set(
        s.phaseIndex,
        (span = { phaseIndex: s.phaseIndex, phase: s.phase, fromMs: s.t, toMs: s.t, samples: [] }),
      );
    span.samples.push(s);
    span.fromMs = Math.min(span.fromMs, s.t);
    span.toMs = Math.max(span.toMs, s.t);
  }
  return [...spans.values()].sort((a, b) => a.phaseIndex - b.phaseIndex);
}

function kindOf(span: PhaseSpan, scenario: Scenario | null): string {
  const p = scenario?.load.phases[span.phaseIndex];
  return p ? p.kind : span.phase;
}

/** Samples taken before the first phase; failing that, before the first player was online; failing that, the first. */
export function baselineSamples(samples: Sample[]): Sample[] {
  const before = samples.filter((s) => s.phaseIndex < 0);
  if (before.length > 0) return before;
  const firstOnline = samples.findIndex((s) => s.online > 0);
  if (firstOnline > 0) return samples.slice(0, firstOnline);
  return samples.slice(0, 1);
}

/**
 * The baseline after warm-up: the last third of the baseline samples (at least one). The runtime and the
 * workers still grow in the first second or two (JIT, heaps, thread stacks); a median over the whole baseline
 * sits below the Rss the first player meets and biases retention upward.
 */
export function warmBaseline(baseline: Sample[]): Sample[] {
  return baseline.slice(Math.floor((baseline.length * 2) / 3));
}

/** The last `hold` phase; without one, the last phase that ran. Phases after the scenario (`done`) never count. */
export function finalHold(spans: PhaseSpan[], scenario: Scenario | null): PhaseSpan | null {
  const nPhases = scenario?.load.phases.length ?? Infinity;
  const inRun = spans.filter((s) => s.phaseIndex >= 0 && s.phaseIndex < nPhases && s.phase !== 'done');
  const holds = inRun.filter((s) => kindOf(s, scenario) === 'hold');
  return holds.at(-1) ?? inRun.at(-1) ?? null;
}

/**
 * The last phase before `before` that brings the target down: a `ramp` whose lowest target is below the
 * highest target of the phases before it.
 */
export function rampDown(spans: PhaseSpan[], scenario: Scenario | null, before: number): PhaseSpan | null {
  let highest = 0;
  let found: PhaseSpan | null = null;
  for (const span of spans) {
    if (span.phaseIndex >= before) break;
    const targets = span.samples.map((s) => s.target);
    const lowest = minOf(targets);
    if (span.phaseIndex >= 0 && kindOf(span, scenario) === 'ramp' && lowest < highest) found = span;
    highest = maxOf(targets, highest);
  }
  return found;
}

/** When phase `phaseIndex + 1` began for the variant (its `phase` event), else the first sample after `span`. */
export function phaseEndMs(span: PhaseSpan, spans: PhaseSpan[], events: RunEvent[], variant: string): number {
  const next = events.find((e) => e.type === 'phase' && e.variant === variant && e.phaseIndex > span.phaseIndex);
  if (next && next.type === 'phase') return next.t;
  const later = spans.find((s) => s.phaseIndex > span.phaseIndex);
  return later ? later.fromMs : span.toMs;
}

/** The samples in the last tenth of a phase (by time between its first and last sample): at least one. */
export function lastTenth(span: PhaseSpan): Sample[] {
  const from = span.toMs - (span.toMs - span.fromMs) / 10;
  return span.samples.filter((s) => s.t >= from);
}

export function median(values: number[]): number | null {
  if (values.length === 0) return null;
  const v = [...values].sort((a, b) => a - b);
  const mid = v.length >> 1;
  return v.length % 2 === 1 ? v[mid]! : (v[mid - 1]! + v[mid]!) / 2;
}
