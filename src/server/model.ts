// The server's bookkeeping objects, kept small on purpose: the allocator heap, not the JS heap, should hold
// what a player costs. Plain classes with fixed fields so V8 keeps them compact.

import type { ServerMessage } from './protocol.js';
import type { Op } from './wire.js';

/** What the agents need from a client connection (gate.ts implements it). */
export interface Conn {
  readonly id: number;
  player: Player | null;
  /** Requests taken from this connection and not answered yet. */
  inflight: number;
  readonly open: boolean;
  send(m: ServerMessage): void;
  /** Called after a reply was sent or dropped, so the gate can resume a paused connection. */
  settled(): void;
}

export const PlayerState = {
  /** Logged in, or login queued. */
  online: 0,
  /** Logged out or disconnected; state not freed yet. */
  leaving: 1,
  /** State freed (or never allocated). */
  gone: 2,
} as const;
export type PlayerState = (typeof PlayerState)[keyof typeof PlayerState];

export class Player {
  set = 0;
  bytes = 0;
  /** Game messages sent so far (Lua: message(n)'s n). */
  msgs = 0;
  state: PlayerState = PlayerState.online;
  /** Login failed: there is no state to touch. */
  failed = false;
  /** Online with its login run (counted in Agents.loaded). */
  loaded = false;
  constructor(
    readonly name: string,
    readonly service: Service,
    readonly slot: number,
    readonly ordinal: number,
    public conn: Conn | null,
  ) {}
}

export type MailTag = 'start' | 'login' | 'msg' | 'logout' | 'free';

export class Mail {
  constructor(
    readonly tag: MailTag,
    readonly op: Op,
    readonly player: Player,
    /** Who gets the reply; null for mail nobody waits for (disconnect, delayed free). */
    readonly conn: Conn | null,
    readonly seq: number,
    /** Lua: the frame's copy in the variant's heap (agent.c packet), freed by the worker that runs the mail. */
    readonly packet = 0,
    /** Lua: message(n)'s n. */
    readonly n = 0,
  ) {}
}

/** A FIFO without Array.shift's O(n) copy: mailboxes of pool agents get long. */
export class Queue<T> {
  private items: T[] = [];
  private head = 0;
  get length(): number {
    return this.items.length - this.head;
  }
  push(v: T): void {
    this.items.push(v);
  }
  peek(): T | undefined {
    return this.head < this.items.length ? this.items[this.head] : undefined;
  }
  shift(): T | undefined {
    if (this.head >= this.items.length) return undefined;
    const v = this.items[this.head]!;
    (this.items as Array<T | undefined>)[this.head++] = undefined;
    if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return v;
  }
}

export class Service {
  readonly mailbox = new Queue<Mail>();
  running = false;
  queued = false;
  /** Bytes of player state this service holds, like skynet's `mem` (Lua: the VM's bytes). */
  bytes = 0;
  /** Lua: the service's VM handle once its first login ran, else 0. */
  vm = 0;
  /** Players whose state this service holds (online or waiting to be freed). */
  players = 0;
  /** Workers that have run this service: bit i of lo for i < 32, of hi for 32..63. */
  seenLo = 0;
  seenHi = 0;
  /** Turns this service has had on a worker. */
  turns = 0;
  constructor(
    readonly id: number,
    /** Per-player agents exit once they hold no player; pool agents live for the server's life. */
    readonly exitsWhenEmpty: boolean,
  ) {}

  markSeen(worker: number): void {
    this.turns++;
    if (worker < 32) this.seenLo |= 1 << worker;
    else this.seenHi |= 1 << (worker - 32);
  }

  get workersSeen(): number {
    return popcount(this.seenLo) + popcount(this.seenHi);
  }
}

function popcount(x: number): number {
  x = x - ((x >>> 1) & 0x55555555);
  x = (x & 0x33333333) + ((x >>> 2) & 0x33333333);
  return Math.imul((x + (x >>> 4)) & 0x0f0f0f0f, 0x01010101) >>> 24;
}
