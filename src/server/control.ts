// Control channel between the parent (run/recorder/driver) and a server process: Node's child-process IPC,
// which no other host or local user can reach. Requests carry an id; the server answers each exactly once.

import type { AllocInfo, AllocStats } from '../alloc/stats.js';
import type { LuaCodeStats, RuntimeMemory } from '../results/sample.js';
import type { ServerOptions } from './options.js';
import type { VariantOptions } from '../alloc/options.js';

export type ControlRequest =
  | { id: number; op: 'stats' }
  | { id: number; op: 'purge' }
  | { id: number; op: 'services' }
  | { id: number; op: 'stop' };

export interface ServerStats {
  alloc: AllocStats;
  runtime: RuntimeMemory;
  online: number;
  /** Online players whose login has run, so their state is in the heap (online counts queued logins too). */
  loaded?: number;
  services: number;
  /** Longest mailbox right now. */
  mailboxMax: number;
  counters: { messages: number; errors: number; logins: number; logouts: number; connections: number };
  /** JS heap bytes per online player the server spends on bookkeeping (should stay small). */
  jsBytesPerPlayer: number;
  /** Players logged out whose state is not freed yet (logoutFreeDelayMs). Added later; optional. */
  leaving?: number;
  /** Open connections, those not being read because of backpressure; multiplexed ones and players logged in on them. */
  gate?: { connections: number; paused: number; muxConnections?: number; channels?: number };
  /** Lua agents: VMs alive in the process (native/agent.c); absent for synthetic agents. */
  luaVms?: number;
  /** Lua agents: game packets copied into the variant's heap and not freed yet, and made in all. */
  luaPackets?: { live: number; made: number };
  /** Lua agents: where the function prototypes are (native/agent_codecache.c, code_heap.c). */
  luaCode?: LuaCodeStats;
}

export interface ServiceMemory {
  id: number;
  /** Bytes of player state the service holds, like skynet's `mem`. */
  bytes: number;
  players: number;
  mailbox: number;
  /** Distinct worker threads that have run this service. */
  workersSeen: number;
  /** Turns it has had on a worker. */
  turns: number;
}

export type ControlReply =
  | { id: number; ok: true; op: 'stats'; stats: ServerStats }
  | { id: number; ok: true; op: 'purge'; stats: ServerStats }
  | { id: number; ok: true; op: 'services'; services: ServiceMemory[] }
  | { id: number; ok: true; op: 'stop' }
  | { id: number; ok: false; code: string; message: string };

/** First message parent -> child after fork. */
export interface ServerStart {
  type: 'start';
  options: ServerOptions;
  variant: VariantOptions;
}

/** Unsolicited child -> parent messages. */
export type ServerEvent =
  | { type: 'ready'; url: string; port: number; pid: number; alloc: AllocInfo }
  | { type: 'fatal'; code: string; message: string };
