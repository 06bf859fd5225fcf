// The parent side of the bots: a piscina pool of worker threads, each running one long-lived bot host task
// (bots/host.ts, loaded by path) commanded over a MessagePort. The pool turns "this many players online"
// into connect/disconnect commands spread over the hosts, and merges their latency histograms.
// Emits 'status' (BotTotals) whenever a host reports, and 'error' when a host dies.

import { EventEmitter } from 'node:events';
import { fileURLToPath } from 'node:url';
import { MessageChannel, type MessagePort } from 'node:worker_threads';
import * as hdr from 'hdr-histogram-js';
import { Piscina } from 'piscina';
import { SimloadError } from '../../errors.js';
import type {
  BotCommand,
  BotHostInit,
  BotHostMessage,
  BotHostResult,
  BotReport,
  BotStatus,
  PhaseCounters,
} from './messages.js';

export const BOT_HOST_FILE = fileURLToPath(new URL('./host.js', import.meta.url));

export interface BotPoolOptions {
  url: string;
  workers: number;
  playerPrefix: string;
  thinkTimeMs: number;
  rate: number;
  phase: string;
  statusIntervalMs?: number;
  connectTimeoutMs?: number;
  /** 1 (default) = one connection per player; N > 1 = multiplexed connections of up to N players. */
  playersPerConnection?: number;
}

/** A host's status summed over every host; `count` is the players the pool means to have (connecting or online). */
export type BotTotals = Omit<BotStatus, 'type' | 'worker' | 'ack' | 'lastError'>;

/** One phase, merged over every host. */
export interface MergedPhase {
  sent: number;
  answered: number;
  errors: number;
  connectFailures: number;
  histogram: hdr.Histogram;
}

interface Host {
  index: number;
  port: MessagePort;
  task: Promise<BotHostResult>;
  status: BotStatus | null;
  /** connect(+n) / disconnect(-n) commands not yet acknowledged by a status. */
  unacked: Array<{ id: number; delta: number }>;
  result: BotHostResult | null;
  dead: boolean;
}

export class BotPool extends EventEmitter {
  private readonly pool: Piscina;
  private readonly hosts: Host[] = [];
  private nextId = 1;
  private reportWaiters = new Map<number, { want: number; got: BotReport[]; resolve: (r: BotReport[]) => void }>();
  private stopping: Promise<Record<string, MergedPhase>> | null = null;

  constructor(private readonly o: BotPoolOptions) {
    super();
    if (!Number.isInteger(o.workers) || o.workers < 1)
      throw new RangeError(`workers must be a whole number >= 1, got ${o.workers}`);
    this.pool = new Piscina({
      filename: BOT_HOST_FILE,
      minThreads: o.workers,
      maxThreads: o.workers,
      // One host per thread: each task runs for the whole variant.
      concurrentTasksPerWorker: 1,
      idleTimeout: 1000,
      atomics: 'disabled',
    });
    for (let i = 0; i < o.workers; i++) this.startHost(i);
  }

  private startHost(index: number): void {
    const { port1, port2 } = new MessageChannel();
    const init: BotHostInit = {
      port: port2,
      url: this.o.url,
      worker: index,
      playerPrefix: this.o.playerPrefix,
      thinkTimeMs: this.o.thinkTimeMs,
      rate: this.o.rate,
      phase: this.o.phase,
      statusIntervalMs: this.o.statusIntervalMs ?? 200,
      connectTimeoutMs: this.o.connectTimeoutMs ?? 10_000,
      playersPerConnection: this.o.playersPerConnection ?? 1,
    };
    const host: Host = {
      index,
      port: port1,
      task: this.pool.run(init, { transferList: [port2] }) as Promise<BotHostResult>,
      status: null,
      unacked: [],
      result: null,
      dead: false,
    };
    host.task.then(
      (r) => (host.result = r),
      (err: unknown) => {
        host.dead = true;
        port1.close();
        if (!this.stopping)
          this.emit(
            'error',
            new SimloadError('ERR_BOT_HOST', `bot worker ${index} died: ${(err as Error).message}`, undefined, {
              cause: err,
            }),
          );
      },
    );
    port1.on('message', (m: BotHostMessage) => this.onMessage(host, m));
    this.hosts.push(host);
  }

  private onMessage(host: Host, m: BotHostMessage): void {
    if (m.type === 'status') {
      host.status = m;
      host.unacked = host.unacked.filter((c) => c.id > m.ack);
      if (m.lastError) this.emit('bot-error', m.lastError);
      this.emit('status', this.totals());
    } else if (m.type === 'report') {
      const w = this.reportWaiters.get(m.id);
      if (!w) return;
      w.got.push(m);
      if (w.got.length >= w.want) {
        this.reportWaiters.delete(m.id);
        w.resolve(w.got);
      }
    }
  }

  /**
   * Resolves once every bot host has started (its first status arrived). A worker thread can take seconds to
   * load on a busy machine; phases started before that would ask for logins nobody sends yet.
   */
  ready(signal?: AbortSignal): Promise<void> {
    return new Promise((resolve, reject) => {
      const check = (): boolean => {
        const dead = this.hosts.find((h) => h.dead);
        if (dead) {
          done();
          reject(new SimloadError('ERR_BOT_HOST', `bot worker ${dead.index} died before it started`));
          return true;
        }
        if (this.hosts.every((h) => h.status !== null) || signal?.aborted) {
          done();
          resolve();
          return true;
        }
        return false;
      };
      // A host's first status, a host dying ('error', emitted after it is marked dead) or the abort: each may end the wait.
      const onEvent = (): void => void check();
      const done = (): void => {
        this.off('status', onEvent);
        this.off('error', onEvent);
        signal?.removeEventListener('abort', onEvent);
      };
      if (check()) return;
      this.on('status', onEvent);
      this.on('error', onEvent);
      signal?.addEventListener('abort', onEvent);
    });
  }

  private intended(h: Host): number {
    return (h.status?.count ?? 0) + h.unacked.reduce((a, c) => a + c.delta, 0);
  }

  /** Players the pool means to have now (connecting or online). */
  get count(): number {
    return this.hosts.reduce((a, h) => a + (h.dead ? 0 : this.intended(h)), 0);
  }

  /**
   * Moves toward `target` players: new ones go to the emptiest hosts; leavers are drawn from every host in
   * proportion to its players, and each host picks its own at random, so leavers are a random sample.
   */
  setTarget(target: number): void {
    if (this.stopping) return;
    const live = this.hosts.filter((h) => !h.dead);
    if (live.length === 0) return;
    const counts = live.map((h) => this.intended(h));
    let delta = Math.round(target) - counts.reduce((a, b) => a + b, 0);
    if (delta === 0) return;
    const add = new Array<number>(live.length).fill(0);
    if (delta > 0) {
      for (; delta > 0; delta--) {
        let best = 0;
        for (let i = 1; i < live.length; i++) if (counts[i]! + add[i]! < counts[best]! + add[best]!) best = i;
        add[best]!++;
      }
    } else {
      const remaining = counts.slice();
      for (; delta < 0; delta++) {
        const total = remaining.reduce((a, b) => a + Math.max(0, b), 0);
        if (total <= 0) break;
        let r = Math.random() * total;
        let i = 0;
        for (; i < live.length - 1; i++) {
          r -= Math.max(0, remaining[i]!);
          if (r < 0) break;
        }
        remaining[i]!--;
        add[i]!--;
      }
    }
    live.forEach((h, i) => {
      const n = add[i]!;
      if (n === 0) return;
      const id = this.nextId++;
      h.unacked.push({ id, delta: n });
      this.post(h, n > 0 ? { type: 'connect', id, n } : { type: 'disconnect', id, n: -n });
    });
  }

  setRate(rate: number): void {
    for (const h of this.hosts) this.post(h, { type: 'rate', rate });
  }

  setPhase(label: string): void {
    for (const h of this.hosts) this.post(h, { type: 'phase', label });
  }

  totals(): BotTotals {
    const t: BotTotals = {
      count: this.count,
      online: 0,
      connecting: 0,
      leaving: 0,
      connectFailures: 0,
      errors: 0,
      dropped: 0,
      sent: 0,
      answered: 0,
    };
    for (const h of this.hosts) {
      const s = h.result?.status ?? h.status;
      if (!s) continue;
      t.online += s.online;
      t.connecting += s.connecting;
      t.leaving += s.leaving;
      t.connectFailures += s.connectFailures;
      t.errors += s.errors;
      t.dropped += s.dropped;
      t.sent += s.sent;
      t.answered += s.answered;
    }
    return t;
  }

  /** Per-phase counters and histograms merged over the hosts, while running. */
  async snapshot(timeoutMs = 5000): Promise<Record<string, MergedPhase>> {
    const live = this.hosts.filter((h) => !h.dead && !h.result);
    if (live.length === 0) return {};
    const id = this.nextId++;
    const reports = await new Promise<BotReport[]>((resolve) => {
      const timer = setTimeout(() => {
        const w = this.reportWaiters.get(id);
        this.reportWaiters.delete(id);
        resolve(w?.got ?? []);
      }, timeoutMs);
      this.reportWaiters.set(id, {
        want: live.length,
        got: [],
        resolve: (r) => {
          clearTimeout(timer);
          resolve(r);
        },
      });
      for (const h of live) this.post(h, { type: 'report', id });
    });
    return mergePhases(reports.map((r) => r.phases));
  }

  /** Stops every bot (no goodbyes), ends the host tasks and the threads; returns the merged phases. Idempotent. */
  stop(timeoutMs = 10_000): Promise<Record<string, MergedPhase>> {
    this.stopping ??= (async () => {
      for (const h of this.hosts) this.post(h, { type: 'stop' });
      const results = await Promise.all(
        this.hosts.map((h) =>
          Promise.race([
            h.task.catch(() => null),
            new Promise<null>((r) => setTimeout(() => r(null), timeoutMs).unref()),
          ]),
        ),
      );
      for (const h of this.hosts) h.port.close();
      await this.pool.destroy();
      return mergePhases(results.filter((r): r is BotHostResult => r !== null).map((r) => r.phases));
    })();
    return this.stopping;
  }

  private post(h: Host, c: BotCommand): void {
    if (h.dead) return;
    try {
      h.port.postMessage(c);
    } catch {
      // the port closed as the host ended
    }
  }
}

export function mergePhases(parts: Array<Record<string, PhaseCounters>>): Record<string, MergedPhase> {
  const out: Record<string, MergedPhase> = {};
  for (const phases of parts) {
    for (const [label, c] of Object.entries(phases)) {
      let m = out[label];
      if (!m) {
        m = out[label] = {
          sent: 0,
          answered: 0,
          errors: 0,
          connectFailures: 0,
          histogram: hdr.build({
            lowestDiscernibleValue: 1,
            highestTrackableValue: 60_000_000,
            numberOfSignificantValueDigits: 3,
          }),
        };
      }
      m.sent += c.sent;
      m.answered += c.answered;
      m.errors += c.errors;
      m.connectFailures += c.connectFailures;
      const h = hdr.decodeFromCompressedBase64(c.histogram);
      m.histogram.add(h);
    }
  }
  return out;
}
