// The watchdog and its agents: which service a player's mail goes to, and what each handler's result means
// for the bookkeeping. `per-player` makes an agent service at login that exits once the player's state is
// freed (skynet's watchdog/agent); `pool` hashes players onto a fixed set of agents.

import type { LuaFns } from './lua-vm.js';
import type { ServerOptions } from './options.js';
import { Mail, Player, PlayerState, Queue, Service, type Conn, type MailTag } from './model.js';
import type { WorkerPool } from './pool.js';
import type { ErrorCode } from './protocol.js';
import { Scheduler, type MailResult } from './scheduler.js';
import type { SlotTable } from './slots.js';
import { Op } from './wire.js';

/** Mail queued server-wide above which game messages are refused with SERVER_BUSY. */
const MAX_PENDING = 200_000;

export interface Counters {
  messages: number;
  errors: number;
  logins: number;
  logouts: number;
  connections: number;
}

function fnv1a(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

export class Agents {
  readonly services = new Map<number, Service>();
  readonly scheduler: Scheduler;
  private readonly online = new Map<string, Player>();
  private readonly poolAgents: Service[] = [];
  private nextServiceId = 1;
  private nextOrdinal = 0;
  /** Delayed frees, due in logout order (the delay is the same for all). */
  private readonly collect = new Queue<{ player: Player; due: number }>();
  private collectTimer: NodeJS.Timeout | null = null;
  /** Players logged out whose state is not freed yet. */
  leaving = 0;
  /** Online players whose login has run: their state is in the heap (the load the server really carries). */
  loaded = 0;

  constructor(
    private readonly options: ServerOptions,
    private readonly slots: SlotTable,
    private readonly counters: Counters,
    pool: WorkerPool,
    /** Lua agents: copies game frames into the variant's heap; null for the synthetic model. */
    private readonly packets: LuaFns | null = null,
  ) {
    this.scheduler = new Scheduler(
      pool,
      (mail, r) => this.onResult(mail, r),
      (s) => this.onTurnEnd(s),
    );
    if (options.agent === 'pool') {
      for (let i = 0; i < options.poolSize; i++) this.poolAgents.push(this.newService(false));
    }
  }

  get onlineCount(): number {
    return this.online.size;
  }

  private newService(exitsWhenEmpty: boolean): Service {
    const s = new Service(this.nextServiceId++, exitsWhenEmpty);
    this.services.set(s.id, s);
    return s;
  }

  /** Returns an error to send back, or null when the mail was queued. */
  login(conn: Conn, seq: number, name: string): { code: ErrorCode; message: string } | null {
    if (conn.player)
      return {
        code: 'ALREADY_LOGGED_IN',
        message: `this connection is already logged in as ${JSON.stringify(conn.player.name)}`,
      };
    if (this.online.has(name))
      return { code: 'ALREADY_LOGGED_IN', message: `player ${JSON.stringify(name)} is online on another connection` };
    const service =
      this.options.agent === 'pool' ? this.poolAgents[fnv1a(name) % this.poolAgents.length]! : this.newService(true);
    const player = new Player(name, service, this.slots.alloc(), this.nextOrdinal++, conn);
    service.players++;
    this.online.set(name, player);
    conn.player = player;
    // A per-player Lua agent is started first and logged in by a second mail (onResult), as in skynet.
    if (this.packets && this.options.agent !== 'pool') this.send(conn, 'start', Op.start, player, seq);
    else this.send(conn, 'login', Op.login, player, seq);
    return null;
  }

  /** `frame`: the message as received; with Lua agents it is copied into the variant's heap here (skynet's socket thread). */
  msg(conn: Conn, seq: number, frame?: Buffer): { code: ErrorCode; message: string } | null {
    const player = conn.player;
    if (!player) return { code: 'NOT_LOGGED_IN', message: 'log in first: send {"t":"login","seq":N,"player":"name"}' };
    if (this.scheduler.pending >= MAX_PENDING)
      return { code: 'SERVER_BUSY', message: `${this.scheduler.pending} messages are queued; try again later` };
    let packet = 0;
    if (this.packets && frame) {
      packet = this.packets.packetNew(frame, frame.length);
      if (packet < 0)
        return { code: 'SERVER_BUSY', message: `cannot copy the message into the server's heap (error ${packet})` };
    }
    player.msgs++;
    conn.inflight++;
    this.scheduler.post(player.service, new Mail('msg', Op.msg, player, conn, seq, packet, player.msgs));
    return null;
  }

  logout(conn: Conn, seq: number): { code: ErrorCode; message: string } | null {
    if (!conn.player) return { code: 'NOT_LOGGED_IN', message: 'not logged in: nothing to log out' };
    this.leave(conn.player, conn, seq);
    return null;
  }

  /** The connection closed: its player leaves as if it had logged out (skynet's agent exits on disconnect). */
  disconnect(conn: Conn): void {
    if (conn.player) this.leave(conn.player, null, 0);
  }

  private leave(player: Player, conn: Conn | null, seq: number): void {
    if (player.conn) player.conn.player = null;
    player.conn = null;
    if (player.loaded) this.loaded--;
    player.loaded = false;
    player.state = PlayerState.leaving;
    this.online.delete(player.name);
    this.leaving++;
    this.counters.logouts++;
    const op = this.options.logoutFreeDelayMs > 0 ? Op.noop : Op.free;
    if (conn) this.send(conn, 'logout', op, player, seq);
    else this.scheduler.post(player.service, new Mail('logout', op, player, null, 0));
  }

  private send(conn: Conn, tag: MailTag, op: Op, player: Player, seq: number): void {
    conn.inflight++;
    this.scheduler.post(player.service, new Mail(tag, op, player, conn, seq));
  }

  /** A login whose handler ran while the player is still online: its state is in the heap (load validity). */
  private markLoaded(p: Player): void {
    if (p.state !== PlayerState.online) return;
    p.loaded = true;
    this.loaded++;
  }

  private onResult(mail: Mail, r: MailResult): void {
    const p = mail.player;
    const service = p.service;
    let error: string | null = r.ok ? null : r.error;
    switch (mail.tag) {
      case 'start':
        if (r.set > 0) service.vm = r.set;
        if (r.bytes >= 0) service.bytes = r.bytes;
        if (!r.ok) {
          p.failed = true;
          break;
        }
        // Started: the login mail carries on the login's reply (the connection's in-flight count moves to it). A
        // player who left meanwhile is not logged in; the logout mail behind this one closes the VM.
        if (p.state === PlayerState.online && mail.conn) {
          this.scheduler.post(service, new Mail('login', Op.login, p, mail.conn, mail.seq));
          return;
        }
        error = null;
        break;
      case 'login':
        if (this.packets) {
          // Lua: the handle is the service's VM (a pool VM survives a failed login); bytes are the whole VM's.
          if (r.set > 0) service.vm = r.set;
          if (r.bytes >= 0) service.bytes = r.bytes;
          if (r.ok) {
            this.counters.logins++;
            this.markLoaded(p);
          } else p.failed = true;
        } else if (r.ok) {
          p.set = r.set;
          p.bytes = r.bytes;
          service.bytes += r.bytes;
          this.counters.logins++;
          this.markLoaded(p);
        } else p.failed = true;
        break;
      case 'msg':
        if (p.failed) error = 'the login of this player failed; it holds no state';
        else if (this.packets) {
          if (r.bytes >= 0) service.bytes = r.bytes;
          if (r.ok) this.counters.messages++;
        } else if (r.ok) {
          if (r.bytes >= 0) {
            service.bytes += r.bytes - p.bytes;
            p.bytes = r.bytes;
          }
          this.counters.messages++;
        }
        break;
      case 'logout':
        error = null;
        if (p.failed || mail.op === Op.free) this.release(p, r);
        else this.scheduleFree(p);
        break;
      case 'free':
        this.release(p, r);
        error = null;
        break;
    }
    if (error !== null) this.counters.errors++;
    const conn = mail.conn;
    if (!conn) return;
    conn.inflight--;
    if (conn.open) {
      if (error === null)
        conn.send({
          t: 'ok',
          seq: mail.seq,
          op: mail.tag === 'logout' ? 'logout' : mail.tag === 'login' || mail.tag === 'start' ? 'login' : 'msg',
        });
      else conn.send({ t: 'err', seq: mail.seq, code: 'INTERNAL', message: error });
    }
    conn.settled();
  }

  private release(p: Player, r: MailResult): void {
    if (!r.ok && !p.failed) {
      this.counters.errors++;
      process.stderr.write(`simload server: freeing ${p.name} failed: ${r.error}\n`);
    }
    if (this.packets) {
      // Lua: a per-player agent's VM is closed (set -1); a pool VM reports its bytes after logout().
      if (r.set === -1) p.service.vm = 0;
      if (r.bytes >= 0) p.service.bytes = r.bytes;
    } else p.service.bytes -= p.bytes;
    p.bytes = 0;
    p.state = PlayerState.gone;
    p.service.players--;
    this.leaving--;
    this.slots.release(p.slot);
  }

  private scheduleFree(player: Player): void {
    this.collect.push({ player, due: Date.now() + this.options.logoutFreeDelayMs });
    if (!this.collectTimer) this.armCollector();
  }

  private armCollector(): void {
    const next = this.collectPeek();
    if (!next) return;
    this.collectTimer = setTimeout(
      () => {
        this.collectTimer = null;
        const now = Date.now();
        for (let n = this.collectPeek(); n && n.due <= now; n = this.collectPeek()) {
          this.collect.shift();
          this.scheduler.post(n.player.service, new Mail('free', Op.free, n.player, null, 0));
        }
        this.armCollector();
      },
      Math.max(0, next.due - Date.now()),
    );
  }

  private collectPeek(): { player: Player; due: number } | undefined {
    return this.collect.peek();
  }

  private onTurnEnd(s: Service): void {
    if (s.exitsWhenEmpty && s.players === 0 && s.mailbox.length === 0 && !s.running) this.services.delete(s.id);
  }

  /** Stops timers and dispatching (shutdown). */
  stop(): void {
    if (this.collectTimer) clearTimeout(this.collectTimer);
    this.collectTimer = null;
    this.scheduler.stop();
  }
}
