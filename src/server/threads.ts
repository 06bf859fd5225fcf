// Which of a server process's threads does what, from their names (thread-name.ts): the gate is the main
// thread (its tid is the pid; it keeps Node's name so the process's own name does not change), worker N is
// `simload-wN`, the rest are Node's helpers (V8's compiler and GC threads, libuv's pool).

import type { ThreadCpu } from '../proc/threads.js';

export const WORKER_THREAD_PREFIX = 'simload-w';
/** The bench clients' and bots' threads, when they name themselves. */
export const BOT_THREAD_NAME = 'simload-bots';

export function workerThreadName(index: number): string {
  return `${WORKER_THREAD_PREFIX}${index}`;
}

export interface ServerThreadSplit {
  /** CPU seconds of the gate (main) thread. */
  gate: number;
  /** Per worker index. */
  workers: number[];
  /** Node's helper threads together. */
  other: number;
}

/** Splits per-thread CPU seconds of the server process `pid` by role. */
export function splitServerThreads(pid: number, threads: ThreadCpu[]): ServerThreadSplit {
  const split: ServerThreadSplit = { gate: 0, workers: [], other: 0 };
  for (const t of threads) {
    if (t.tid === pid) split.gate += t.cpu;
    else if (t.name.startsWith(WORKER_THREAD_PREFIX) && /^\d+$/.test(t.name.slice(WORKER_THREAD_PREFIX.length))) {
      const i = Number(t.name.slice(WORKER_THREAD_PREFIX.length));
      while (split.workers.length <= i) split.workers.push(0);
      split.workers[i]! += t.cpu;
    } else split.other += t.cpu;
  }
  return split;
}

/** "gate 0.93, workers 0.41 (w0 0.12 ...), other 0.05" in cores over `seconds`, and the busiest thread. */
export function formatSplit(
  s: ServerThreadSplit,
  seconds: number,
): { text: string; busiest: string; busiestCores: number } {
  const c = (x: number): string => (seconds > 0 ? x / seconds : 0).toFixed(2);
  const total = s.workers.reduce((a, b) => a + b, 0);
  let busiest = 'gate';
  let most = s.gate;
  s.workers.forEach((w, i) => {
    if (w > most) {
      most = w;
      busiest = `worker ${i}`;
    }
  });
  return {
    text: `gate ${c(s.gate)}, workers ${c(total)} (${s.workers.map(c).join(' ')}), other ${c(s.other)}`,
    busiest,
    busiestCores: seconds > 0 ? most / seconds : 0,
  };
}

export interface ClientThreadSplit {
  /** CPU seconds of the main thread (the run engine: phases, the recorder's sampling, the bot pool's parent). */
  main: number;
  /** Per bot thread (named BOT_THREAD_NAME), in thread id order. */
  bots: number[];
  /**
   * Unnamed threads that spent nearly all their time in the kernel: libuv's pool doing file reads and writes
   * (the recorder's /proc reads and its files). V8's helpers spend theirs in user space.
   */
  pool: number;
  /** The rest (V8's compiler and GC threads, other workers). */
  other: number;
}

/** A thread with this share of its CPU in the kernel, or more, is a file-reading pool thread. */
const POOL_SYSTEM_SHARE = 0.9;

/** Splits per-thread CPU seconds of a load-generating process `pid` (a bench, the run engine) by role. */
export function splitClientThreads(pid: number, threads: ThreadCpu[]): ClientThreadSplit {
  const split: ClientThreadSplit = { main: 0, bots: [], pool: 0, other: 0 };
  for (const t of [...threads].sort((a, b) => a.tid - b.tid)) {
    if (t.tid === pid) split.main += t.cpu;
    else if (t.name === BOT_THREAD_NAME) split.bots.push(t.cpu);
    else if (t.system >= POOL_SYSTEM_SHARE * t.cpu) split.pool += t.cpu;
    else split.other += t.cpu;
  }
  return split;
}
