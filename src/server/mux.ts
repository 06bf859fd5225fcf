// A multiplexed gate connection (`?mux=1`): one WebSocket carries many player sessions, each a channel named
// by the frames' `ch`, as a gateway tier in front of a game server does. Each channel is a Conn to the agents,
// exactly like a plain connection, so login, messages, logout and the per-player agent are unchanged.
//
// Order: replies to one channel come in the order its requests were taken. A player's mail goes to one
// service, whose mailbox is FIFO, so that holds by itself except across a change of service (a login after a
// logout on the same channel) and for errors decided at once while earlier requests are still running. Those
// are held back until the channel has nothing in flight; frames behind them wait too.

import type { Agents, Counters } from './agents.js';
import type { Parsed } from './frames.js';
import type { Conn, Player } from './model.js';
import { MAX_CHANNEL, serverText, type ErrorCode, type ServerMessage } from './protocol.js';

/** The connection side a mux needs (gate.ts's GateConn). */
export interface MuxHost {
  inflight: number;
  readonly open: boolean;
  sendText(text: string): void;
  settled(): void;
}

type Held = { frame: Parsed; data: Buffer } | { reply: ServerMessage };

/** `{"t":...}` with `"ch":N` added, without building a second object. */
function withChannel(json: string, ch: number | null): string {
  return `${json.slice(0, -1)},"ch":${ch === null ? 'null' : ch}}`;
}

export class MuxChannel implements Conn {
  private current: Player | null = null;
  private own = 0;
  /** Frames and decided errors waiting for this channel's earlier replies (see the file comment). */
  readonly held: Held[] = [];

  constructor(
    readonly ch: number,
    private readonly mux: Mux,
  ) {}

  get id(): number {
    return this.ch;
  }

  get player(): Player | null {
    return this.current;
  }

  set player(p: Player | null) {
    if ((p === null) !== (this.current === null)) this.mux.loggedInChanged(p === null ? -1 : 1);
    this.current = p;
  }

  /** Requests of this channel taken and not answered; the connection's count moves with it. */
  get inflight(): number {
    return this.own;
  }

  set inflight(v: number) {
    this.mux.host.inflight += v - this.own;
    this.own = v;
  }

  get open(): boolean {
    return this.mux.host.open;
  }

  send(m: ServerMessage): void {
    this.mux.host.sendText(withChannel(serverText(m), this.ch));
  }

  settled(): void {
    if (this.own === 0 && this.held.length > 0) this.mux.drain(this);
    this.mux.host.settled();
    this.mux.forgetIfIdle(this);
  }
}

export class Mux {
  private readonly channels = new Map<number, MuxChannel>();
  /** Channels with a player logged in. */
  loggedIn = 0;

  constructor(
    readonly host: MuxHost,
    private readonly agents: Agents,
    private readonly counters: Counters,
    private readonly maxChannels: number,
    /** Called with +1/-1 as channels log in and out (the gate's total). */
    private readonly onLoggedIn: (delta: number) => void,
  ) {}

  loggedInChanged(delta: number): void {
    this.loggedIn += delta;
    this.onLoggedIn(delta);
  }

  /** One parsed frame of this connection. */
  frame(p: Parsed, data: Buffer): void {
    if (p.ch === undefined || p.ch === null) {
      // No channel to answer on: the reply says ch null. A frame that is bad anyway keeps its own error.
      this.counters.errors++;
      const seq = p.ok ? p.msg.seq : p.seq;
      const reply: ServerMessage =
        !p.ok && p.ch === undefined
          ? { t: 'err', seq, code: p.code, message: p.message }
          : {
              t: 'err',
              seq,
              code: 'BAD_CHANNEL',
              message: `${p.ch === undefined ? 'missing "ch"' : `"ch" must be an integer from 0 to ${MAX_CHANNEL}`}: every frame on a multiplexed connection names its channel`,
            };
      this.host.sendText(withChannel(JSON.stringify(reply), null));
      return;
    }
    let c = this.channels.get(p.ch);
    if (!c) this.channels.set(p.ch, (c = new MuxChannel(p.ch, this)));
    if (c.held.length > 0 || this.mustWait(c, p)) this.hold(c, { frame: p, data });
    else {
      const reply = this.run(c, p, data);
      if (reply) {
        if (c.inflight > 0) this.hold(c, { reply });
        else c.send(reply);
      }
    }
    this.forgetIfIdle(c);
  }

  /** A login after a logout still in flight would run in another service and could answer first. */
  private mustWait(c: MuxChannel, p: Parsed): boolean {
    return c.inflight > 0 && c.player === null && p.ok && p.msg.t === 'login';
  }

  private hold(c: MuxChannel, h: Held, front = false): void {
    // Held frames count as in flight on the connection, so backpressure bounds them too.
    this.host.inflight++;
    if (front) c.held.unshift(h);
    else c.held.push(h);
  }

  /** Runs one frame on a channel; returns the error reply it earns, if any. */
  private run(c: MuxChannel, p: Parsed, data: Buffer): ServerMessage | null {
    let err: { code: ErrorCode; message: string } | null;
    let seq: number | null;
    if (!p.ok) {
      err = p;
      seq = p.seq;
    } else {
      const m = p.msg;
      seq = m.seq;
      if (m.t === 'login') {
        err =
          c.player === null && this.loggedIn >= this.maxChannels
            ? {
                code: 'TOO_MANY_CHANNELS',
                message: `this connection already has ${this.loggedIn} players logged in, the most it may carry (maxChannelsPerConnection); open another connection`,
              }
            : this.agents.login(c, m.seq, m.player);
      } else err = m.t === 'msg' ? this.agents.msg(c, m.seq, data) : this.agents.logout(c, m.seq);
    }
    if (!err) return null;
    this.counters.errors++;
    return { t: 'err', seq, code: err.code, message: err.message };
  }

  /** The channel has nothing in flight: release what it held, in order, until something must wait again. */
  drain(c: MuxChannel): void {
    while (c.held.length > 0) {
      const h = c.held[0]!;
      if ('reply' in h) {
        if (c.inflight > 0) return;
        c.held.shift();
        this.host.inflight--;
        c.send(h.reply);
        continue;
      }
      if (this.mustWait(c, h.frame)) return;
      c.held.shift();
      this.host.inflight--;
      const reply = this.run(c, h.frame, h.data);
      if (reply) {
        if (c.inflight > 0) this.hold(c, { reply }, true);
        else c.send(reply);
      }
    }
  }

  /** A channel with no player, nothing in flight and nothing held is dropped (its number may come back). */
  forgetIfIdle(c: MuxChannel): void {
    if (c.player === null && c.inflight === 0 && c.held.length === 0 && this.channels.get(c.ch) === c)
      this.channels.delete(c.ch);
  }

  /** The connection closed: every logged-in channel's player disconnects, as a plain connection's would. */
  close(): void {
    for (const c of this.channels.values()) {
      c.held.length = 0;
      if (c.player) this.agents.disconnect(c);
    }
    this.channels.clear();
  }
}
