// skynet's scheduling on worker threads: each service has a mailbox, a global run queue holds services that
// have mail, an idle worker takes the service at the head, drains part of its mailbox by its weight, and the
// service goes back to the tail if mail is left. A service is never on two workers at once, but lands on
// whichever worker is free, so over time it runs everywhere.
//
// Waking workers follows skynet_start.c: new mail wakes a sleeping worker only when every worker sleeps
// (the socket thread's `wakeup(m, 0)`); while mail waits in the run queue, a timer wakes one more every
// WAKE_MS (the timer thread's `wakeup(m, m->count - 1)`); a worker that finishes its turns takes more from
// the queue at once and sleeps only when the queue is empty. So mail arriving together is handled together
// by the workers already awake, instead of every burst waking every thread.
//
// One difference, for throughput: a worker is handed several queued services in one postMessage (as if it
// popped the global queue several times in a row); each is still a separate turn with its own weight.
// Completion is reported per batch.

import { SimloadError } from '../errors.js';
import type { Mail, Service } from './model.js';
import { Queue } from './model.js';
import type { WorkerPool } from './pool.js';
import { turnSize, workerWeight } from './weights.js';
import { IN_FIELDS, Op, OUT_FIELDS, type BatchBuffers, type ToWorker } from './wire.js';

/** Most turns handed to one worker in one post. */
const MAX_TURNS_PER_BATCH = 64;
/** skynet's timer thread wakes one sleeping worker per tick (2.5 ms, skynet_start.c); Node's timers count whole ms. */
const WAKE_MS = 2;
/** Doubles in a worker's first batch buffer (about 160 messages); it doubles when a batch needs more. */
const FIRST_BATCH_DOUBLES = 1024;

/** One worker's shared batch buffers (wire.ts) and the views the main thread uses. */
interface WorkerBuffers {
  shared: BatchBuffers;
  batch: Float64Array;
  out: Float64Array;
}

function newBuffers(batchDoubles: number, outDoubles: number): WorkerBuffers {
  const shared = { batch: new SharedArrayBuffer(batchDoubles * 8), out: new SharedArrayBuffer(outDoubles * 8) };
  return { shared, batch: new Float64Array(shared.batch), out: new Float64Array(shared.out) };
}

interface Turn {
  service: Service;
  mails: Mail[];
}

export interface MailResult {
  ok: boolean;
  set: number;
  /** New byte total of the player's state, -1 when unchanged. */
  bytes: number;
  error: string | null;
}

export class Scheduler {
  private readonly runQueue = new Queue<Service>();
  /** Idle workers in the order they became idle: the longest idle goes first, so turns rotate. */
  private readonly idle: number[] = [];
  private readonly inflight: Array<Turn[] | null> = [];
  private readonly weights: number[] = [];
  /** Per worker; null until its first batch. */
  private readonly buffers: Array<WorkerBuffers | null> = [];
  private scheduled = false;
  private wakeTimer: NodeJS.Timeout | null = null;
  private stopped = false;
  /** Mail in mailboxes or on a worker. */
  pending = 0;

  constructor(
    private readonly pool: WorkerPool,
    /** Called for each mail once its handler ran, in mailbox order per service. */
    private readonly onResult: (mail: Mail, r: MailResult) => void,
    /** Called when a service finished a turn (to retire empty per-player agents). */
    private readonly onTurnEnd: (service: Service) => void,
  ) {
    for (let w = 0; w < pool.size; w++) {
      this.idle.push(w);
      this.inflight.push(null);
      this.weights.push(workerWeight(w));
      this.buffers.push(null);
    }
  }

  get busyWorkers(): number {
    return this.pool.size - this.idle.length;
  }

  post(service: Service, mail: Mail): void {
    service.mailbox.push(mail);
    this.pending++;
    if (!service.running && !service.queued) {
      service.queued = true;
      this.runQueue.push(service);
    }
    if (this.idle.length === this.pool.size) {
      if (!this.scheduled) {
        this.scheduled = true;
        // Every worker sleeps: wake one, after everything the gate reads in this I/O phase is queued.
        setImmediate(() => {
          this.scheduled = false;
          if (this.idle.length === this.pool.size) this.wakeOne();
        });
      }
    } else this.armWake();
  }

  /** While mail waits and a worker sleeps, wake one more every WAKE_MS. */
  private armWake(): void {
    if (this.wakeTimer || this.stopped || this.idle.length === 0 || this.runQueue.length === 0) return;
    this.wakeTimer = setTimeout(() => {
      this.wakeTimer = null;
      this.wakeOne();
      this.armWake();
    }, WAKE_MS);
  }

  /** The longest-sleeping worker takes turns from the run queue, if there are any. */
  private wakeOne(): void {
    if (this.stopped || this.idle.length === 0 || this.runQueue.length === 0) return;
    this.dispatch(this.idle.shift()!);
  }

  /** Hands `worker` (awake, idle) the next turns of the run queue. */
  private dispatch(worker: number): void {
    const weight = this.weights[worker]!;
    // Its share of the queue among the awake workers (this one included, so never 0): in skynet the awake
    // workers pop the global queue one service at a time, so none takes what another could have run meanwhile.
    const awake = this.pool.size - this.idle.length;
    const take = Math.min(MAX_TURNS_PER_BATCH, Math.ceil(this.runQueue.length / awake));
    const turns: Turn[] = [];
    let messages = 0;
    for (let t = 0; t < take; t++) {
      const service = this.runQueue.shift()!;
      service.queued = false;
      service.running = true;
      const n = turnSize(service.mailbox.length, weight);
      const mails: Mail[] = new Array(n);
      for (let k = 0; k < n; k++) mails[k] = service.mailbox.shift()!;
      turns.push({ service, mails });
      messages += n;
    }
    const length = 1 + turns.length * 2 + messages * IN_FIELDS;
    let bufs = this.buffers[worker];
    let fresh = false;
    if (!bufs || bufs.batch.length < length || bufs.out.length < messages * OUT_FIELDS) {
      const grow = Math.max(FIRST_BATCH_DOUBLES, 2 * (bufs?.batch.length ?? 0), length);
      bufs = this.buffers[worker] = newBuffers(grow, Math.ceil((grow * OUT_FIELDS) / IN_FIELDS));
      fresh = true;
    }
    const batch = bufs.batch;
    batch[0] = turns.length;
    let i = 1;
    for (const { service, mails } of turns) {
      batch[i++] = service.id;
      batch[i++] = mails.length;
      for (const m of mails) {
        const p = m.player;
        // A failed login leaves nothing to touch: the rest of its mail runs as no-ops and is answered with errors.
        const op = p.failed ? Op.noop : m.op;
        batch[i++] = op;
        batch[i++] = p.slot;
        batch[i++] = service.vm > 0 ? service.vm : p.set;
        batch[i++] = p.ordinal;
        batch[i++] = m.n;
        batch[i++] = m.packet;
      }
    }
    this.inflight[worker] = turns;
    this.pool.post(
      worker,
      (fresh ? { type: 'run', length, buffers: bufs.shared } : { type: 'run', length }) satisfies ToWorker,
    );
  }

  /** A worker finished its batch: `count` messages, their results in the worker's out buffer. */
  done(worker: number, count: number, errors: string[] | null): void {
    const turns = this.inflight[worker];
    this.inflight[worker] = null;
    if (!turns) return;
    let sent = 0;
    for (const t of turns) sent += t.mails.length;
    if (count !== sent)
      throw new SimloadError('ERR_WORKER', `worker ${worker} answered ${count} messages of a batch of ${sent}`);
    const out = this.buffers[worker]!.out;
    let o = 0;
    let e = 0;
    for (const { service, mails } of turns) {
      service.running = false;
      service.markSeen(worker);
      for (const mail of mails) {
        const ok = out[o] === 0;
        this.pending--;
        this.onResult(mail, {
          ok,
          set: out[o + 1]!,
          bytes: out[o + 2]!,
          error: ok ? null : (errors?.[e++] ?? 'handler failed'),
        });
        o += OUT_FIELDS;
      }
      if (service.mailbox.length > 0 && !service.queued) {
        service.queued = true;
        this.runQueue.push(service);
      }
      this.onTurnEnd(service);
    }
    // An awake worker keeps taking turns while there are any; it sleeps when the queue is empty.
    if (!this.stopped && this.runQueue.length > 0) this.dispatch(worker);
    else this.idle.push(worker);
    this.armWake();
  }

  /** No more dispatching; mail still queued is dropped. */
  stop(): void {
    this.stopped = true;
    if (this.wakeTimer) clearTimeout(this.wakeTimer);
    this.wakeTimer = null;
  }
}
