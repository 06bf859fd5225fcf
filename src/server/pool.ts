// The fixed pool of worker threads (skynet's `thread`). Workers are loaded by path; each loads the
// allocator itself, so a failure to load shows up here, at start, with the worker's own error.

import { Worker } from 'node:worker_threads';
import { SimloadError } from '../errors.js';
import type { FromWorker, ToWorker, WorkerInit } from './wire.js';

const WORKER_PATH = new URL('./worker.js', import.meta.url);

export class WorkerPool {
  private readonly workers: Worker[] = [];
  private stopping = false;
  private nextPurge = 1;
  private readonly purges = new Map<number, { left: number; errors: string[]; resolve: (errors: string[]) => void }>();

  private constructor(
    private readonly onDone: (worker: number, count: number, errors: string[] | null) => void,
    private readonly onCrash: (worker: number, err: Error) => void,
  ) {}

  /** Starts `count` workers and resolves once every one has loaded its allocator. */
  static async start(
    count: number,
    init: Omit<WorkerInit, 'index'>,
    onDone: (worker: number, count: number, errors: string[] | null) => void,
    onCrash: (worker: number, err: Error) => void,
  ): Promise<WorkerPool> {
    const pool = new WorkerPool(onDone, onCrash);
    const ready: Array<Promise<void>> = [];
    for (let index = 0; index < count; index++) {
      const w = new Worker(WORKER_PATH, {
        workerData: { ...init, index } satisfies WorkerInit,
        name: `simload-worker-${index}`,
      });
      pool.workers.push(w);
      ready.push(
        new Promise<void>((resolve, reject) => {
          let started = false;
          w.on('message', (m: FromWorker) => {
            if (m.type === 'done') pool.onDone(index, m.count, m.errors);
            else if (m.type === 'purged') pool.onPurged(m.id, m.error);
            else if (m.type === 'ready') {
              started = true;
              resolve();
            } else if (m.type === 'init-failed') reject(new SimloadError(m.code, `worker ${index}: ${m.message}`));
          });
          w.on('error', (err) => {
            if (!started) reject(new SimloadError('ERR_WORKER', `worker ${index} failed to start: ${err.message}`));
            else if (!pool.stopping) pool.onCrash(index, err);
          });
          w.on('exit', (code) => {
            if (!started)
              reject(new SimloadError('ERR_WORKER', `worker ${index} exited with code ${code} before it was ready`));
            else if (!pool.stopping) pool.onCrash(index, new Error(`worker ${index} exited with code ${code}`));
          });
        }),
      );
    }
    try {
      await Promise.all(ready);
    } catch (err) {
      await pool.stop();
      throw err;
    }
    return pool;
  }

  get size(): number {
    return this.workers.length;
  }

  post(worker: number, m: ToWorker): void {
    this.workers[worker]!.postMessage(m);
  }

  broadcast(m: ToWorker): void {
    for (const w of this.workers) w.postMessage(m);
  }

  /**
   * Every worker flushes its tcache and purges, after the batch it is running. Resolves with the errors
   * (empty when all went well). Objects sitting in tcaches count as allocated until flushed.
   */
  purgeAll(): Promise<string[]> {
    const id = this.nextPurge++;
    return new Promise((resolve) => {
      this.purges.set(id, { left: this.workers.length, errors: [], resolve });
      this.broadcast({ type: 'purge', id });
    });
  }

  private onPurged(id: number, error: string | null): void {
    const p = this.purges.get(id);
    if (!p) return;
    if (error) p.errors.push(error);
    if (--p.left === 0) {
      this.purges.delete(id);
      p.resolve(p.errors);
    }
  }

  /** Terminates every worker and waits until all have exited. */
  async stop(): Promise<void> {
    this.stopping = true;
    for (const p of this.purges.values()) p.resolve(['stopped']);
    this.purges.clear();
    await Promise.all(this.workers.map((w) => w.terminate().catch(() => undefined)));
  }
}
