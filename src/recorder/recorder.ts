// Samples each tracked server process every interval: the kernel's view (/proc) and the allocator's
// (stats over the control channel), plus online players and the phase. Emits 'sample' (Sample) and
// 'gone' ({ variant, pid, message }) and appends every sample to the run's writer as it is taken.

import { EventEmitter } from 'node:events';
import type { ServerStats } from '../server/control.js';
import type { RunWriter } from '../results/writer.js';
import { ProcSampler } from './proc-sampler.js';
import { SAMPLE_SCHEMA_VERSION, type Sample } from '../results/sample.js';

export interface SampleSource {
  pid: number;
  stats(timeoutMs?: number): Promise<ServerStats>;
}

export interface PhaseState {
  phaseIndex: number;
  phase: string;
  target: number;
  /** Players the bots hold logged in. */
  bots?: number;
  memoryLimit?: number | null;
}

/**
 * The phase label given the server's answer, before the sample is written. The label is taken when the sample
 * starts (so it matches `t`); a source whose phases start at something the server reports (serve --record: the
 * first login) corrects it here. `online` is the count the sample records; `logins` the server's login counter
 * (null without an answer).
 */
export type Relabel = (state: PhaseState, seen: { online: number; logins: number | null; wall: number }) => PhaseState;

export interface RecorderOptions {
  writer: RunWriter;
  intervalMs: number;
  /** How long to wait for the allocator's stats before recording `alloc: null`; default min(interval, 2 s). */
  statsTimeoutMs?: number;
}

interface Tracked {
  variant: string;
  source: SampleSource;
  state: () => PhaseState;
  relabel: Relabel | null;
  startWall: number;
  timer: NodeJS.Timeout | null;
  /** Samples of one variant are taken one after another, so `t` never goes back. */
  chain: Promise<Sample | null>;
  lastOnline: number;
  /** The server's /proc reads (smaps_rollup at a budget, status between). */
  proc: ProcSampler;
  stopped: boolean;
  gone: boolean;
  nextDue: number;
}

export class Recorder extends EventEmitter {
  private readonly writer: RunWriter;
  readonly intervalMs: number;
  private readonly statsTimeoutMs: number;
  private readonly tracked = new Map<string, Tracked>();

  constructor(o: RecorderOptions) {
    super();
    if (!Number.isFinite(o.intervalMs) || o.intervalMs < 10)
      throw new RangeError(`intervalMs must be at least 10, got ${o.intervalMs}`);
    this.writer = o.writer;
    this.intervalMs = o.intervalMs;
    this.statsTimeoutMs = o.statsTimeoutMs ?? Math.min(o.intervalMs, 2000);
  }

  /**
   * Samples `variant` every interval until untrack. `startWall` is when its server started (ms since epoch;
   * default now): sample times `t` count from it. `relabel`: see Relabel.
   */
  track(
    variant: string,
    source: SampleSource,
    state: () => PhaseState,
    startWall: number = Date.now(),
    relabel: Relabel | null = null,
  ): void {
    if (this.tracked.has(variant)) throw new Error(`variant ${variant} is already tracked`);
    const tr: Tracked = {
      variant,
      source,
      state,
      relabel,
      startWall,
      timer: null,
      chain: Promise.resolve(null),
      lastOnline: 0,
      proc: new ProcSampler(source.pid),
      stopped: false,
      gone: false,
      nextDue: Date.now(),
    };
    this.tracked.set(variant, tr);
    // The first sample at once: the baseline before any player should not wait an interval.
    void this.enqueue(tr).then(() => {
      this.flush();
      this.schedule(tr);
    });
  }

  /** Takes a sample now (in order with the periodic ones). Null when not tracked or the process is gone. */
  sampleNow(variant: string): Promise<Sample | null> {
    const tr = this.tracked.get(variant);
    if (!tr) return Promise.resolve(null);
    return this.enqueue(tr);
  }

  /** Stops sampling `variant` after one last sample. */
  async untrack(variant: string): Promise<void> {
    const tr = this.tracked.get(variant);
    if (!tr) return;
    tr.stopped = true;
    if (tr.timer) clearTimeout(tr.timer);
    tr.timer = null;
    await this.enqueue(tr, true);
    this.tracked.delete(variant);
    this.flush();
  }

  async close(): Promise<void> {
    await Promise.all([...this.tracked.keys()].map((v) => this.untrack(v)));
    this.flush();
  }

  /** A full disk must not stop the sampling: report it and keep going (the buffer is retried next time). */
  private flush(): void {
    try {
      this.writer.flush();
    } catch (err) {
      process.stderr.write(`simload: ${(err as Error).message}\n`);
    }
  }

  private schedule(tr: Tracked): void {
    if (tr.stopped || tr.gone) return;
    // Fixed cadence (no drift); ticks missed while a slow sample ran are skipped, not bunched up.
    const now = Date.now();
    tr.nextDue += this.intervalMs;
    if (tr.nextDue < now) tr.nextDue += Math.ceil((now - tr.nextDue) / this.intervalMs) * this.intervalMs;
    tr.timer = setTimeout(
      () => {
        tr.timer = null;
        void this.enqueue(tr).then(() => {
          this.flush();
          this.schedule(tr);
        });
      },
      Math.max(0, tr.nextDue - now),
    );
  }

  private enqueue(tr: Tracked, final = false): Promise<Sample | null> {
    tr.chain = tr.chain.then(() => (tr.gone || (tr.stopped && !final) ? null : this.take(tr, final)));
    return tr.chain;
  }

  private async take(tr: Tracked, final: boolean): Promise<Sample | null> {
    const wall = Date.now();
    const taken = tr.state();
    const [proc, stats] = await Promise.all([
      tr.proc.read(final).catch((err: unknown) => err as Error),
      withTimeout(tr.source.stats(this.statsTimeoutMs), this.statsTimeoutMs + 250).catch(() => null),
    ]);
    if (proc instanceof Error) {
      tr.gone = true;
      this.emit('gone', { variant: tr.variant, pid: tr.source.pid, message: proc.message });
      return null;
    }
    if (stats) tr.lastOnline = stats.online;
    const state = tr.relabel
      ? tr.relabel(taken, { online: tr.lastOnline, logins: stats ? stats.counters.logins : null, wall })
      : taken;
    const sample: Sample = {
      v: SAMPLE_SCHEMA_VERSION,
      variant: tr.variant,
      t: wall - tr.startWall,
      wall,
      phaseIndex: state.phaseIndex,
      phase: state.phase,
      target: state.target,
      // Without an answer, the last known count: the control channel is late, not the players gone.
      online: tr.lastOnline,
      loaded: stats ? (stats.loaded ?? null) : null,
      ...(state.bots !== undefined ? { bots: state.bots } : {}),
      proc,
      alloc: stats ? stats.alloc : null,
      runtime: stats ? stats.runtime : null,
      ...(state.memoryLimit !== undefined ? { memoryLimit: state.memoryLimit } : {}),
      ...(stats
        ? {
            server: {
              messages: stats.counters.messages,
              errors: stats.counters.errors,
              logins: stats.counters.logins,
              logouts: stats.counters.logouts,
              jsBytesPerPlayer: stats.jsBytesPerPlayer,
            },
          }
        : {}),
      ...(stats?.luaCode && stats.luaVms !== undefined ? { lua: { vms: stats.luaVms, code: stats.luaCode } } : {}),
    };
    this.writer.appendSample(sample);
    this.emit('sample', sample);
    return sample;
  }
}

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no answer in ${ms} ms`)), ms);
    p.then(
      (v) => {
        clearTimeout(timer);
        resolve(v);
      },
      (e: unknown) => {
        clearTimeout(timer);
        reject(e);
      },
    );
  });
}
