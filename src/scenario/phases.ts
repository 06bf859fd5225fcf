// `load.phases` from YAML data to resolved phases. A `repeat: {times, phases}` item is expanded in place, so
// the driver, the exporter and the report see a flat list (cycles are found again from the targets: report/
// cycles.ts). Problems keep the path of the item as written (`load.phases[2].repeat.phases[1].ramp.to`), so the
// locator points at the line inside the repeat, not at an expanded copy.

import { formatBytes, parseFraction, parseSize } from '../units.js';
import type { PathPart } from './problems.js';
import type { Phase, PhaseTarget } from './types.js';

/** Expanded phases a scenario may have: far beyond weeks of day-night cycles, short of a runaway `times`. */
export const MAX_PHASES = 10_000;

export interface PhaseContext {
  problem(path: PathPart[], message: string): void;
  /** A duration that becomes a timer, or null (the problem is reported). */
  timer(v: unknown, path: PathPart[]): number | null;
  /** Reports a message rate out of range. */
  rate(v: unknown, path: PathPart[]): void;
}

export interface ResolvedPhases {
  phases: Phase[];
  /** Largest absolute player count asked for. */
  peak: number;
  /** Items that resolved to a phase (or a whole repeat), against the items written: the rest had problems. */
  complete: boolean;
}

type Obj = Record<string, unknown>;

export function resolvePhases(list: unknown[], ctx: PhaseContext): ResolvedPhases {
  const state = { peak: 0, complete: true };
  const phases: Phase[] = [];
  list.forEach((item, i) => {
    const x = obj(item);
    if (!x || Object.keys(x).length !== 1) return;
    const kind = Object.keys(x)[0]!;
    if (kind !== 'repeat') {
      const p = onePhase(kind, x[kind], ['load', 'phases', i, kind], ctx, state);
      if (p) phases.push(p);
      else state.complete = false;
      return;
    }
    const body = obj(x.repeat);
    const path: PathPart[] = ['load', 'phases', i, 'repeat'];
    const times = body && Number.isInteger(body.times) ? (body.times as number) : null;
    const inner = body && Array.isArray(body.phases) ? body.phases : null;
    if (times === null || inner === null) {
      state.complete = false;
      return;
    }
    const once: Phase[] = [];
    inner.forEach((innerItem, j) => {
      const y = obj(innerItem);
      if (!y || Object.keys(y).length !== 1) return;
      const k = Object.keys(y)[0]!;
      const at: PathPart[] = [...path, 'phases', j, k];
      // A repeat inside a repeat is an unknown key to the schema, reported there with its position.
      const p = onePhase(k, y[k], at, ctx, state);
      if (p) once.push(p);
      else state.complete = false;
    });
    if (phases.length + once.length * times > MAX_PHASES) {
      ctx.problem(
        [...path, 'times'],
        `expands to ${phases.length + once.length * times} phases, more than ${MAX_PHASES}: lengthen the phases instead`,
      );
      state.complete = false;
      return;
    }
    for (let t = 0; t < times; t++) for (const p of once) phases.push(structuredClone(p));
  });
  return { phases, peak: state.peak, complete: state.complete };
}

function onePhase(
  kind: string,
  body: unknown,
  p: PathPart[],
  ctx: PhaseContext,
  state: { peak: number },
): Phase | null {
  const b = obj(body);
  const phaseRate = b && typeof b.rate === 'number' ? b.rate : undefined;
  if (b) ctx.rate(b.rate, [...p, 'rate']);
  const rateField = phaseRate === undefined ? {} : { rate: phaseRate };
  if (kind === 'ramp' && b) {
    const over = ctx.timer(b.over, [...p, 'over']);
    if (over !== null && over <= 0)
      ctx.problem([...p, 'over'], 'must be longer than 0s (a ramp spreads arrivals over it)');
    let to: PhaseTarget | null = null;
    if (isInt(b.to)) {
      to = { count: b.to };
      state.peak = Math.max(state.peak, b.to);
    } else if (typeof b.to === 'string') {
      const f = parseFraction(b.to);
      if (f !== null) {
        if (f > 1)
          ctx.problem(
            [...p, 'to'],
            `a percentage of the peak must be at most 100%, got ${b.to.trim()} (ramp to a count to go higher)`,
          );
        else if (state.peak === 0)
          ctx.problem(
            [...p, 'to'],
            `${b.to.trim()} of the peak, but no earlier phase ramps to an absolute count above 0: ramp to a count first`,
          );
        to = { fractionOfPeak: f };
      }
    }
    return to && over !== null ? { kind: 'ramp', to, durationMs: over, ...rateField } : null;
  }
  if (kind === 'hold') {
    const d = b ? ctx.timer(b.for, [...p, 'for']) : ctx.timer(body, p);
    if (d !== null && d <= 0) ctx.problem(b ? [...p, 'for'] : p, 'must be longer than 0s');
    return d !== null ? { kind: 'hold', durationMs: d, ...rateField } : null;
  }
  if (kind === 'pressure' && b) {
    const limit = typeof b.limit === 'number' || typeof b.limit === 'string' ? parseSize(b.limit) : null;
    const d = ctx.timer(b.for, [...p, 'for']);
    if (limit !== null && limit < 16 * 2 ** 20)
      ctx.problem([...p, 'limit'], `a limit under 16MiB kills the server before it starts, got ${formatBytes(limit)}`);
    if (d !== null && d <= 0) ctx.problem([...p, 'for'], 'must be longer than 0s');
    return limit !== null && d !== null ? { kind: 'pressure', limitBytes: limit, durationMs: d, ...rateField } : null;
  }
  return null;
}

function obj(v: unknown): Obj | null {
  return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Obj) : null;
}

function isInt(v: unknown): v is number {
  return typeof v === 'number' && Number.isInteger(v);
}
