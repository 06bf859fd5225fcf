// The scenario's phases as a timeline: when each phase starts, the online count it starts and ends at, its
// message rate. Computed with the driver's own shapes and peak rule (driver/engine.ts), so an exported
// locustfile and `simload serve --record` ask for and judge the same targets as `simload run`.
// Only phases whose shape moves linearly (ramp, hold) can be handed to another load engine; others (pressure:
// it changes the server's memory limit from inside simload) are refused with where they are written.

import { parseDocument, LineCounter } from 'yaml';
import { baselineMsOf, peakAfter, phaseRate } from '../driver/engine.js';
import { shapeFor, type TargetContext } from '../driver/shape.js';
import { Locator } from '../scenario/locate.js';
import { ScenarioError, type ScenarioProblem } from '../scenario/problems.js';
import type { Phase, Scenario } from '../scenario/types.js';

/** Phase kinds another engine can follow: their target moves linearly from `from` to `to`. */
export const LINEAR_KINDS: ReadonlySet<string> = new Set(['ramp', 'hold']);

export interface Segment {
  index: number;
  kind: Phase['kind'];
  /** ms since the first phase started (the baseline is before 0). */
  startMs: number;
  durationMs: number;
  /** Online target at the phase's start and end. */
  from: number;
  to: number;
  /** The peak before the phase (what `33%` is a percentage of). */
  peak: number;
  /** Messages per player per second during the phase. */
  rate: number;
}

export interface Timeline {
  baselineMs: number;
  segments: Segment[];
  /** End of the last phase, ms since the first started. */
  endMs: number;
}

/** Where a scenario came from, to place errors at file:line:col. */
export interface ScenarioSource {
  file: string;
  text: string;
}

function targetContext(peak: number, startCount: number): TargetContext {
  return { peak, startCount };
}

export function timeline(s: Scenario, source: ScenarioSource | null = null): Timeline {
  const unsupported = s.load.phases.map((p, i) => ({ p, i })).filter(({ p }) => !LINEAR_KINDS.has(p.kind));
  if (unsupported.length > 0) {
    throw new ScenarioError(unsupported.map(({ p, i }) => unsupportedProblem(p, i, s, source)));
  }
  const segments: Segment[] = [];
  let peak = 0;
  let count = 0;
  let at = 0;
  s.load.phases.forEach((p, index) => {
    const shape = shapeFor(p.kind);
    const ctx = targetContext(peak, count);
    const durationMs = shape.durationMs(p);
    const from = Math.max(0, Math.round(shape.target(p, 0, ctx)));
    const to = Math.max(0, Math.round(shape.target(p, durationMs, ctx)));
    segments.push({ index, kind: p.kind, startMs: at, durationMs, from, to, peak, rate: phaseRate(p, s) });
    at += durationMs;
    count = to;
    peak = peakAfter(p, peak, to);
  });
  return { baselineMs: baselineMsOf(s), segments, endMs: at };
}

/** The phase at `tMs` since the first phase started and its target, from the phase's own shape. */
export function phaseAt(s: Scenario, tl: Timeline, tMs: number): { phaseIndex: number; phase: string; target: number } {
  if (tMs < 0 || tl.segments.length === 0) return { phaseIndex: -1, phase: 'baseline', target: 0 };
  for (const seg of tl.segments) {
    if (tMs < seg.startMs + seg.durationMs) {
      const p = s.load.phases[seg.index]!;
      const target = shapeFor(p.kind).target(p, tMs - seg.startMs, targetContext(seg.peak, seg.from));
      return { phaseIndex: seg.index, phase: seg.kind, target: Math.max(0, Math.round(target)) };
    }
  }
  return { phaseIndex: tl.segments.length, phase: 'done', target: tl.segments.at(-1)!.to };
}

function unsupportedProblem(p: Phase, i: number, s: Scenario, source: ScenarioSource | null): ScenarioProblem {
  const path = ['load', 'phases', i] as const;
  const message =
    `a ${p.kind} phase cannot be exported: only ${[...LINEAR_KINDS].join(' and ')} phases move players, which another load engine can follow` +
    (p.kind === 'pressure'
      ? " (pressure limits the server's memory from inside simload; use `simload run` for it)"
      : '');
  const file = source?.file ?? s.file ?? s.name;
  if (!source) return { file, line: 0, col: 0, path: `load.phases[${i}]`, message };
  const lines = new LineCounter();
  const doc = parseDocument(source.text, { lineCounter: lines });
  const pos = new Locator(doc, lines).value(path);
  return { file, line: pos.line, col: pos.col, path: `load.phases[${i}]`, message };
}
