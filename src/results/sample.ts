// One sample of one server process: the run folder's samples.ndjson holds one per line. Written by the
// recorder (and watch), read by the report: the contract between them, so it lives with the other formats.

import type { AllocStats } from '../alloc/stats.js';
import type { ProcMemory } from '../proc/memory.js';

export const SAMPLE_SCHEMA_VERSION = 1;

export interface RuntimeMemory {
  /** The server's process.memoryUsage(), bytes. */
  rss: number;
  heapTotal: number;
  heapUsed: number;
  external: number;
  arrayBuffers: number;
}

/**
 * How a server's agent VMs hold their function prototypes. `shared`: once per process in skynet's code cache
 * (skynet's Lua), whose states live in the variant's heap (`cacheBytes`, counted in jemalloc's allocated);
 * `per-vm`: a copy in every VM with a service library, in the code heap outside the allocator (`heapBytes`, in
 * Rss only: Debian's Lua cannot share prototypes).
 */
export interface LuaCodeStats {
  model: 'shared' | 'per-vm';
  cacheBytes: number;
  heapBytes: number;
}

export interface Sample {
  v: typeof SAMPLE_SCHEMA_VERSION;
  variant: string;
  /** ms since this variant's server started. */
  t: number;
  /** Wall clock, ms since epoch. */
  wall: number;
  /** Index into the scenario's phases; -1 before the first phase (baseline), phases.length after the last. */
  phaseIndex: number;
  /** e.g. `ramp`, `hold`, `pressure`, `baseline`, `done`. */
  phase: string;
  /** Players the driver targets now, and players the server has logged in. */
  target: number;
  online: number;
  /**
   * Online players whose login the server has run (their state is in the heap): the load it really carries.
   * `online` also counts logins still queued. Absent in runs recorded before this field; null without stats.
   */
  loaded?: number | null;
  /** Players the bots hold logged in (login answered), when the driver knows. */
  bots?: number;
  proc: ProcMemory;
  /** Null when the control channel did not answer in time. */
  alloc: AllocStats | null;
  runtime: RuntimeMemory | null;
  /** The cgroup memory limit in force, bytes, when a pressure phase applies one. */
  memoryLimit?: number | null;
  /** Server-side counters, cumulative. */
  server?: { messages: number; errors: number; logins: number; logouts: number; jsBytesPerPlayer?: number };
  /** Lua agents: live VMs and where their prototypes are. Absent for synthetic agents and older runs. */
  lua?: { vms: number; code: LuaCodeStats };
  /** From a real skynet's debug console (`simload watch --skynet-console`); absent otherwise. */
  skynet?: SkynetSample;
}

export interface SkynetSample {
  /** Round trip of the console's `jmem`, ms; null when it did not answer. */
  consoleMs: number | null;
  /** Sum of every Lua service's memory (`mem`), bytes; null when `mem` did not answer. */
  luaTotal: number | null;
  luaServices: number;
  /** Services that did not answer `mem` in time (busy); luaTotal is then null, top lists those that did. */
  luaUnanswered?: number;
  /** The largest services by Lua memory, at most the watch's --skynet-top (10). */
  top: Array<{ address: string; name: string; bytes: number }>;
  /** Lua memory of the services that answered `mem` and are not in `top`, summed, bytes. */
  luaRest?: number;
  /** Round trip of the per-service reads (`list`, `cmem`, `mem` together), ms, on the samples that made them. */
  servicesMs?: number;
  /** C memory per service (`cmem` with `list`), on the samples that read `mem`; absent otherwise. */
  cmem?: CmemSample;
  /** Mallctls read through `inject` (`--skynet-inject`), as jemalloc returns them. */
  mallctl?: Record<string, number>;
}

/** A handle charged C memory by skynet's malloc_hook.c. */
export interface CmemHandle {
  address: string;
  /**
   * The launch command last seen for the handle in `list` (e.g. `snlua agent`), or which of skynet's threads a
   * pseudo-handle stands for (`(socket thread)`); null when never seen.
   */
  name: string | null;
  /** Bytes skynet_malloc'd by the service and not freed (skynet's cookie of 16 bytes per block included). */
  bytes: number;
}

/** Handles of one kind, bounded: how many hold C memory, their bytes together, and the largest few by name. */
export interface CmemGroup {
  count: number;
  bytes: number;
  /** The largest holders, at most the watch's --skynet-top; the rest is `bytes` minus their sum. */
  top: CmemHandle[];
}

/**
 * `cmem` split by the launcher's `list` read beside it. Handles with 0 bytes are left out (skynet keeps every
 * handle it ever charged). skynet's table has 65 536 slots: a handle 65 536 above another takes over its slot
 * and the bytes left in it.
 */
export interface CmemSample {
  /** skynet's `total` line: bytes charged to every handle, exited ones included; null when absent. */
  total: number | null;
  /** skynet's `block` line: blocks allocated and not freed; null when absent. */
  blocks: number | null;
  /** Services in the launcher's list now. */
  live: CmemGroup;
  /** Services seen in an earlier `list` of this watch and gone from it: exited, and C memory still charged to them. */
  exited: CmemGroup;
  /**
   * Handles never seen in `list`: skynet's own threads (main, socket, timer), services not started through
   * the launcher (the launcher itself, bootstrap, C services such as the logger) or gone before the watch began.
   */
  unlisted: CmemGroup;
}
