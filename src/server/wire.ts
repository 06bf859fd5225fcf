// Messages between the server's main thread (gate + scheduler) and its worker threads. Shared by both
// sides. A batch and its results are Float64Arrays in two SharedArrayBuffers per worker, reused from batch to
// batch (a worker runs one batch at a time): a post carries only their lengths, not a new buffer to allocate,
// transfer and collect on both threads.

import type { AgentScript, ChurnOptions, StateProfile } from './options.js';
import type { VariantOptions } from '../alloc/options.js';

/** Handler operations a service runs on a worker. */
export const Op = {
  /** Nothing to allocate (a logout whose free comes later); keeps the reply in mailbox order. */
  noop: 0,
  /** Draw the player's sizes into its slot and allocate its state (allocSet). arg = login ordinal. */
  login: 1,
  /** A game message: temporaries (churn) and maybe one realloc of the state. */
  msg: 2,
  /** Free the player's state (freeSet; Lua: lua_close of a per-player VM, logout(player_id) in a pool VM). */
  free: 3,
  /**
   * Lua per-player agents: start the service (its VM, the service library, the script's main chunk) without
   * logging in. The login follows as its own mail once the start is done, as a skynet watchdog's login call
   * reaches an agent only after skynet.newservice has returned, so other services' turns run in between.
   */
  start: 4,
} as const;
export type Op = (typeof Op)[keyof typeof Op];

/**
 * Per message in a run batch: op, slot, set (Lua: the service's VM, 0 before its first login), arg (the
 * player's login ordinal), n (Lua: the player's message count), packet (Lua: address of the frame's copy in
 * the variant's heap, freed by the worker; 0 = none).
 */
export const IN_FIELDS = 6;
/** Per message in a done batch: status, set, bytes. */
export const OUT_FIELDS = 3;
export const Status = { ok: 0, error: 1 } as const;

export interface WorkerInit {
  index: number;
  variant: VariantOptions;
  profile: StateProfile;
  churn: ChurnOptions;
  seed: number;
  /** Int32s per slot: [rng state, size of object 0, ..., size of object n-1]. */
  stride: number;
  /** Lua agents (ServerOptions.agentModel 'lua'): the script; per-player agents close their VM at exit. */
  script?: AgentScript;
  perPlayer?: boolean;
  /** Per worker index: a block the main thread allocated, freed as the worker's first allocator call (ServerOptions.freeFirstWorkers). */
  firstFrees?: number[];
}

/** A worker's batch buffers: `batch` (main writes, worker reads) and `out` (worker writes, main reads). */
export interface BatchBuffers {
  batch: SharedArrayBuffer;
  out: SharedArrayBuffer;
}

/**
 * Main -> worker. `run`: the first `length` doubles of the worker's batch buffer, laid out as [turns, then per
 * turn: service id, messages, then per message IN_FIELDS]; `buffers` comes with the first batch and whenever a
 * batch outgrew them (then they replace the old ones). `chunk` hands over a new block of the shared slot
 * table; it always arrives before any batch that uses it.
 */
export type ToWorker =
  | { type: 'chunk'; index: number; sab: SharedArrayBuffer }
  | { type: 'run'; length: number; buffers?: BatchBuffers }
  /** Flush this worker's tcache and purge (Allocator.purge), so cached objects stop counting as allocated. */
  | { type: 'purge'; id: number }
  | { type: 'stop' };

/**
 * Worker -> main. `done`: the out buffer holds OUT_FIELDS per message for `count` messages, in batch order
 * (the main thread checks the count: a zeroed buffer would otherwise read as all ok); `errors` the texts of
 * failed ones.
 */
export type FromWorker =
  | { type: 'ready' }
  | { type: 'init-failed'; code: string; message: string }
  | { type: 'done'; count: number; errors: string[] | null }
  | { type: 'purged'; id: number; error: string | null };
