// Load shapes, registered by name (k6 executors style): each phase kind of a scenario has one, in its own
// file under driver/shapes/. A shape says how long its phase lasts and how many players should be online at
// each moment; it may also change the server's conditions while it runs (enter/exit), as pressure does.

import type { ServerCgroups } from '../cgroup/server-cgroup.js';
import { SimloadError } from '../errors.js';
import type { RunWriter } from '../results/writer.js';
import type { Phase } from '../scenario/types.js';

/** What a shape's target() may read: the online counts a phase's targets are relative to. */
export interface TargetContext {
  /** Highest absolute online target before this phase (what `33%` is a percentage of). */
  peak: number;
  /** Online target when the phase started. */
  startCount: number;
}

export interface PhaseContext extends TargetContext {
  variant: string;
  serverPid: number;
  writer: RunWriter;
  /** The run's server cgroups: where a phase that changes the server's memory limit finds its group. */
  cgroups: ServerCgroups;
  signal: AbortSignal;
  /**
   * Optional: the memory limit actually in force (bytes; null = none), for the samples. During a pressure
   * phase the engine assumes the phase's limit unless the shape says otherwise (e.g. skipped: null).
   */
  setMemoryLimit?(bytes: number | null): void;
}

export interface LoadShape<P extends Phase = Phase> {
  kind: P['kind'];
  durationMs(p: P): number;
  /** Online target at ms t into the phase. */
  target(p: P, tMs: number, ctx: TargetContext): number;
  /** The absolute player count the phase asks for (what later `33%` ramps refer to); none when absent or null. */
  peak?(p: P): number | null;
  /** The memory limit the phase puts in force (bytes), stamped on samples unless enter() says otherwise. */
  memoryLimit?(p: P): number | null;
  enter?(p: P, ctx: PhaseContext): Promise<void>;
  exit?(p: P, ctx: PhaseContext): Promise<void>;
}

// A shape for one phase kind is a LoadShape of all phases: its methods take their phase as a method parameter
// (bivariant), and the engine calls each shape only with phases of its own kind.
const shapes = new Map<string, LoadShape>();

export function registerShape(s: LoadShape): void {
  if (!s || typeof s.kind !== 'string' || typeof s.target !== 'function' || typeof s.durationMs !== 'function') {
    throw new TypeError('a load shape needs kind, durationMs() and target()');
  }
  shapes.set(s.kind, s);
}

export function hasShape(kind: string): boolean {
  return shapes.has(kind);
}

export function shapeFor(kind: string): LoadShape {
  const s = shapes.get(kind);
  if (!s) {
    throw new SimloadError(
      'ERR_NO_SHAPE',
      `no load shape "${kind}" in this simload (known: ${[...shapes.keys()].join(', ') || 'none'})`,
    );
  }
  return s;
}

export function registeredShapes(): string[] {
  return [...shapes.keys()];
}
