// The driver engine of one variant: a baseline without players, then each phase of the scenario in turn,
// asking the bot pool for the online count the phase's shape wants every tick. It emits events; the run
// writes them down and the progress display shows them.
//   'phase' PhaseEvent   a phase (or the baseline, or the end) starts

import { EventEmitter } from 'node:events';
import type { ServerCgroups } from '../cgroup/server-cgroup.js';
import type { RunWriter } from '../results/writer.js';
import type { PhaseState } from '../recorder/recorder.js';
import type { Phase, Scenario } from '../scenario/types.js';
import type { BotPool } from './bots/pool.js';
import { shapeFor, type PhaseContext } from './shape.js';
import './shapes/index.js';

/** How often the online target is recomputed and sent to the bots, ms. */
export const DRIVER_TICK_MS = 50;
/** Fastest tick, for steep ramps, ms. */
export const MIN_TICK_MS = 5;

export interface PhaseEvent {
  variant: string;
  phaseIndex: number;
  phase: string;
  /** `0:ramp`: the label latency is kept under. */
  label: string;
  target: number;
  /** The target the phase ends at (a ramp's goal), when known. */
  toTarget?: number;
  /** ms since the variant's server started. */
  t: number;
  wall: number;
  durationMs: number;
}

export interface DriverOptions {
  scenario: Scenario;
  variant: string;
  pool: BotPool;
  serverPid: number;
  writer: RunWriter;
  /** The run's server cgroups (pressure phases change the server's limit there). */
  cgroups: ServerCgroups;
  signal: AbortSignal;
  /** When the server started (ms since epoch): event times count from it. */
  startWall: number;
  tickMs?: number;
}

export function phaseLabel(index: number, kind: string): string {
  return `${index}:${kind}`;
}

export class Driver extends EventEmitter {
  private phaseIndex = -1;
  private phaseName = 'baseline';
  private target = 0;
  private memoryLimit: number | null | undefined = undefined;
  private readonly tickMs: number;

  constructor(private readonly o: DriverOptions) {
    super();
    this.tickMs = o.tickMs ?? DRIVER_TICK_MS;
  }

  /** What the recorder stamps on each sample. */
  state(): PhaseState {
    return {
      phaseIndex: this.phaseIndex,
      phase: this.phaseName,
      target: this.target,
      bots: this.o.pool.totals().online,
      ...(this.memoryLimit !== undefined ? { memoryLimit: this.memoryLimit } : {}),
    };
  }

  /** Baseline, then every phase. Resolves 'aborted' as soon as the signal fires (after undoing the phase). */
  async run(): Promise<'complete' | 'aborted'> {
    const { scenario, signal } = this.o;
    const baselineMs = baselineMsOf(scenario);
    this.enter(-1, 'baseline', 0, baselineMs);
    if (!(await sleep(baselineMs, signal))) return 'aborted';

    let peak = 0;
    const phases = scenario.load.phases;
    for (let i = 0; i < phases.length; i++) {
      const p = phases[i]!;
      const shape = shapeFor(p.kind);
      const ctx: PhaseContext = {
        variant: this.o.variant,
        serverPid: this.o.serverPid,
        writer: this.o.writer,
        cgroups: this.o.cgroups,
        peak,
        startCount: this.target,
        signal,
        setMemoryLimit: (bytes) => (this.memoryLimit = bytes),
      };
      const durationMs = shape.durationMs(p);
      this.memoryLimit = shape.memoryLimit?.(p);
      this.o.pool.setRate(phaseRate(p, scenario));
      this.o.pool.setPhase(phaseLabel(i, p.kind));
      this.enter(
        i,
        p.kind,
        shape.target(p, 0, ctx),
        durationMs,
        Math.max(0, Math.round(shape.target(p, durationMs, ctx))),
      );
      let entered = false;
      try {
        if (shape.enter) await shape.enter(p, ctx);
        entered = true;
        const start = Date.now();
        for (;;) {
          const t = Date.now() - start;
          this.setTarget(shape.target(p, Math.min(t, durationMs), ctx));
          if (t >= durationMs) break;
          // Steep ramps tick faster, so the online count never trails the target by more than ~1 player.
          const ahead = Math.abs(shape.target(p, Math.min(t + 100, durationMs), ctx) - this.target);
          const tick = ahead > 0 ? Math.min(this.tickMs, Math.max(MIN_TICK_MS, 100 / ahead)) : this.tickMs;
          if (!(await sleep(Math.min(tick, durationMs - t), signal))) return 'aborted';
        }
      } finally {
        // Undo what the phase changed, also when interrupted.
        if (entered && shape.exit) await shape.exit(p, ctx);
        if (shape.memoryLimit) this.memoryLimit = undefined;
      }
      peak = peakAfter(p, peak, this.target);
    }
    this.enter(phases.length, 'done', this.target, 0);
    return 'complete';
  }

  private setTarget(n: number): void {
    this.target = Math.max(0, Math.round(n));
    this.o.pool.setTarget(this.target);
  }

  private enter(index: number, name: string, target: number, durationMs: number, toTarget?: number): void {
    this.phaseIndex = index;
    this.phaseName = name;
    this.target = target;
    const wall = Date.now();
    const e: PhaseEvent = {
      variant: this.o.variant,
      phaseIndex: index,
      phase: name,
      label: phaseLabel(index, name),
      target,
      t: wall - this.o.startWall,
      wall,
      durationMs,
      ...(toTarget !== undefined ? { toTarget } : {}),
    };
    this.o.writer.appendEvent({
      type: 'phase',
      variant: e.variant,
      wall,
      t: e.t,
      phaseIndex: index,
      phase: name,
      target,
    });
    this.emit('phase', e);
  }
}

/** How long the server runs without players before the first phase. */
export function baselineMsOf(s: Scenario): number {
  return s.record.baselineMs ?? Math.max(2000, 3 * s.record.intervalMs);
}

/** The peak (what `33%` is a percentage of) after phase `p` ended at `target` players. */
/** The peak after phase `p` ended at `target`: what the phase's shape says it asks for, or what was reached. */
export function peakAfter(p: Phase, peak: number, target: number): number {
  return Math.max(peak, shapeFor(p.kind).peak?.(p) ?? 0, target);
}

export function phaseRate(p: Phase, s: Scenario): number {
  return p.rate ?? s.load.messageRate;
}

/** Resolves true after `ms`, false at once if the signal fires. */
export function sleep(ms: number, signal: AbortSignal): Promise<boolean> {
  if (signal.aborted) return Promise.resolve(false);
  return new Promise((resolve) => {
    const done = (ok: boolean) => {
      clearTimeout(timer);
      signal.removeEventListener('abort', onAbort);
      resolve(ok);
    };
    const onAbort = () => done(false);
    const timer = setTimeout(() => done(true), Math.max(0, ms));
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
