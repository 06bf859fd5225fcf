// The recorder's /proc reads of one server: smaps_rollup (LazyFree, AnonHugePages) walks the server's page
// tables, tens of ms of kernel time per read at several GiB of Rss, so at 1 s samples it would cost a large
// share of a core on big servers. Under 2 GiB of Rss it is read every sample (a walk there costs 25-40 ms of CPU,
// and LazyFree's rise and fall after a drop is what the shipped and fidelity scenarios, all under 2 GiB, are
// about); above, as often as keeps its measured cost under a budget, and the samples between take Rss from /proc/PID/status with the walk's LazyFree
// and its age (proc.smapsAgeMs). The last sample of a server is always a full read.

import { performance } from 'node:perf_hooks';
import { readProcMemory, readProcStatusMemory, type ProcMemory } from '../proc/memory.js';

/** Share of one core the smaps_rollup walks may take. */
export const SMAPS_BUDGET = 0.02;
/** LazyFree is never older than this, whatever a walk costs. */
export const MAX_WALK_GAP_MS = 15_000;
/** Servers with less Rss than this at their last walk are walked every sample. */
export const ALWAYS_WALK_BELOW = 2 * 2 ** 30;

/** Whether the next sample walks smaps_rollup: its last walk's cost in ms over the budget gives the gap. Pure. */
export function walkDue(o: {
  now: number;
  lastWalk: number | null;
  costMs: number;
  budget: number;
  final: boolean;
  /** Rss at the last walk, and the Rss under which every sample walks, bytes. */
  rss: number;
  floor: number;
}): boolean {
  if (o.final || o.lastWalk === null || o.rss < o.floor) return true;
  const gap = Math.min(MAX_WALK_GAP_MS, o.costMs / o.budget);
  return o.now - o.lastWalk >= gap;
}

export class ProcSampler {
  private walked: { mem: ProcMemory; wall: number } | null = null;
  private costMs = 0;

  constructor(
    readonly pid: number,
    private readonly budget: number = SMAPS_BUDGET,
    private readonly floor: number = ALWAYS_WALK_BELOW,
  ) {}

  /** Milliseconds the last smaps_rollup read took (wall time: on a busy machine more than its CPU). */
  get lastWalkMs(): number {
    return this.costMs;
  }

  async read(final = false): Promise<ProcMemory> {
    const now = Date.now();
    const w = this.walked;
    if (
      w &&
      !walkDue({
        now,
        lastWalk: w.wall,
        costMs: this.costMs,
        budget: this.budget,
        final,
        rss: w.mem.rss,
        floor: this.floor,
      })
    )
      return readProcStatusMemory(this.pid, w.mem, now - w.wall);
    const t0 = performance.now();
    const mem = await readProcMemory(this.pid);
    this.costMs = performance.now() - t0;
    this.walked = { mem, wall: now };
    return mem;
  }
}
