// A bot host: one piscina worker thread running many bots, each a real WebSocket client of the server.
// Loaded by path as the pool's task (never imported): the task runs until the parent sends `stop`, taking
// commands over its MessagePort. Traffic is open loop: messages go out at the configured rate whether or
// not earlier ones were answered, so a slow server shows up as latency instead of slowing the load.
// With playersPerConnection > 1 the bots share multiplexed connections (`?mux=1`), each bot a channel on one
// (MuxLink); per-player behaviour (login, rate, think time, logout) is the same either way.

import { performance } from 'node:perf_hooks';
import * as hdr from 'hdr-histogram-js';
import WebSocket from 'ws';
import { CloseCode, MUX_QUERY, type ClientMessage, type ServerMessage } from '../../server/protocol.js';
import { BOT_ORIGIN } from '../../server/defaults.js';
import { nameThisThread } from '../../server/thread-name.js';
import { BOT_THREAD_NAME } from '../../server/threads.js';
import type { BotCommand, BotHostInit, BotHostResult, BotReport, BotStatus, PhaseCounters } from './messages.js';

/** Latencies above this (µs) are clamped: a minute is already a failure. */
const MAX_LATENCY_US = 60_000_000;
/** How often the send loop runs, ms. */
const SEND_TICK_MS = 20;
/** A leaving bot that got no logout reply by then is cut off. */
const LOGOUT_TIMEOUT_MS = 5000;

type BotState = 'connecting' | 'online' | 'leaving' | 'gone';

/** A multiplexed connection shared by up to playersPerConnection bots, each on its own channel. */
interface MuxLink {
  ws: WebSocket;
  /** channel -> bot. Channels are never reused on a link, so a late reply cannot reach the wrong bot. */
  bots: Map<number, Bot>;
  nextCh: number;
}

interface Bot {
  id: number;
  /** Its own socket, or its link's. */
  ws: WebSocket;
  /** Set when the bot is a channel of a multiplexed connection. */
  link: MuxLink | null;
  ch: number;
  /** The login frame went out (so a bot given up on a shared link logs its channel out). */
  loginSent: boolean;
  state: BotState;
  seq: number;
  /** seq -> [send time ms, phase counters at send]. */
  pending: Map<number, { t: number; phase: PhaseStats }>;
  /** When it may send its first message (think time after login), performance.now() ms. */
  activeAt: number;
  /** Index in `active`, or -1 (not sending yet, or no longer). */
  slot: number;
  timer: NodeJS.Timeout | null;
}

class PhaseStats {
  sent = 0;
  answered = 0;
  errors = 0;
  connectFailures = 0;
  readonly hist = hdr.build({
    lowestDiscernibleValue: 1,
    highestTrackableValue: MAX_LATENCY_US,
    numberOfSignificantValueDigits: 3,
  });

  snapshot(): PhaseCounters {
    return {
      sent: this.sent,
      answered: this.answered,
      errors: this.errors,
      connectFailures: this.connectFailures,
      histogram: hdr.encodeIntoCompressedBase64(this.hist),
    };
  }
}

class BotHost {
  private readonly bots = new Set<Bot>();
  /** Logged-in bots past their think time: the ones that send. */
  private readonly active: Bot[] = [];
  /**
   * Logged-in bots still thinking, in login order (so in activeAt order, the think time being one for all); from
   * `thinkingHead` on. The rate is per sending player: a thinking player neither sends nor counts toward it.
   */
  private thinking: Bot[] = [];
  private thinkingHead = 0;
  private readonly phases = new Map<string, PhaseStats>();
  private phase: PhaseStats;
  private rate: number;
  private nextId = 0;
  private ack = 0;
  private lastTick = performance.now();
  private readonly totals = { connectFailures: 0, errors: 0, dropped: 0, sent: 0, answered: 0 };
  private lastError: string | null = null;
  private readonly sendTimer: NodeJS.Timeout;
  private readonly statusTimer: NodeJS.Timeout;
  private stopped = false;
  /** Multiplexed links with room for another player. */
  private readonly roomy = new Set<MuxLink>();
  private readonly links = new Set<MuxLink>();
  private resolveStop!: (r: BotHostResult) => void;
  readonly done: Promise<BotHostResult>;

  constructor(private readonly init: BotHostInit) {
    this.rate = init.rate;
    this.phase = this.phaseStats(init.phase);
    this.done = new Promise((r) => (this.resolveStop = r));
    init.port.on('message', (c: BotCommand) => this.command(c));
    // A gateway's link is up before its players arrive: the first ramp's logins do not wait for a handshake.
    if (init.playersPerConnection > 1) this.openLink();
    this.sendTimer = setInterval(() => this.sendTick(), SEND_TICK_MS);
    this.statusTimer = setInterval(() => this.postStatus(), init.statusIntervalMs);
    // The first status says this host is up: the pool holds the phases until every host has said so.
    this.postStatus();
  }

  private phaseStats(label: string): PhaseStats {
    let p = this.phases.get(label);
    if (!p) this.phases.set(label, (p = new PhaseStats()));
    return p;
  }

  private command(c: BotCommand): void {
    if (this.stopped) return;
    switch (c.type) {
      case 'connect':
        for (let i = 0; i < c.n; i++) this.connect();
        this.ack = c.id;
        this.postStatus();
        break;
      case 'disconnect':
        this.disconnect(c.n);
        this.ack = c.id;
        this.postStatus();
        break;
      case 'rate':
        this.rate = c.rate;
        break;
      case 'phase':
        this.phase = this.phaseStats(c.label);
        break;
      case 'report': {
        const r: BotReport = { type: 'report', id: c.id, worker: this.init.worker, phases: this.snapshot() };
        this.init.port.postMessage(r);
        break;
      }
      case 'stop':
        void this.stop();
        break;
    }
  }

  private connect(): void {
    if (this.init.playersPerConnection > 1) return this.connectMux();
    const id = this.nextId++;
    const ws = new WebSocket(this.init.url, {
      perMessageDeflate: false,
      handshakeTimeout: this.init.connectTimeoutMs,
      origin: BOT_ORIGIN,
    });
    const bot = this.newBot(id, ws, null);
    const phaseAtConnect = this.phase;
    ws.on('open', () => this.login(bot));
    ws.on('message', (data) => {
      if (this.stopped) return;
      const m = this.parse(data.toString());
      if (m) this.onMessage(bot, m);
    });
    ws.on('error', (err) => {
      if (this.stopped) return;
      if (bot.state === 'connecting') this.fail(bot, phaseAtConnect, err.message);
      else this.noteError(err.message);
    });
    ws.on('close', (code) => this.onClose(bot, code));
  }

  private newBot(id: number, ws: WebSocket, link: MuxLink | null): Bot {
    const bot: Bot = {
      id,
      ws,
      link,
      ch: -1,
      loginSent: false,
      state: 'connecting',
      seq: 0,
      pending: new Map(),
      activeAt: 0,
      slot: -1,
      timer: null,
    };
    this.bots.add(bot);
    const phaseAtConnect = this.phase;
    bot.timer = setTimeout(
      () => this.fail(bot, phaseAtConnect, `login took longer than ${this.init.connectTimeoutMs} ms`),
      this.init.connectTimeoutMs,
    );
    return bot;
  }

  private login(bot: Bot): void {
    if (bot.state !== 'connecting') return;
    bot.loginSent = true;
    this.send(bot, { t: 'login', seq: ++bot.seq, player: `${this.init.playerPrefix}-${this.init.worker}-${bot.id}` });
  }

  /** A new player on a multiplexed link with room, opening a link when none has. */
  private connectMux(): void {
    let link: MuxLink | undefined = this.roomy.values().next().value;
    if (!link) link = this.openLink();
    const bot = this.newBot(this.nextId++, link.ws, link);
    bot.ch = link.nextCh++;
    link.bots.set(bot.ch, bot);
    if (link.bots.size >= this.init.playersPerConnection) this.roomy.delete(link);
    if (link.ws.readyState === WebSocket.OPEN) this.login(bot);
  }

  private openLink(): MuxLink {
    const url = `${this.init.url.replace(/\/+$/, '')}/?${MUX_QUERY}`;
    const ws = new WebSocket(url, {
      perMessageDeflate: false,
      handshakeTimeout: this.init.connectTimeoutMs,
      origin: BOT_ORIGIN,
    });
    const link: MuxLink = { ws, bots: new Map(), nextCh: 0 };
    this.links.add(link);
    this.roomy.add(link);
    const phaseAtOpen = this.phase;
    ws.on('open', () => {
      for (const bot of link.bots.values()) this.login(bot);
    });
    ws.on('message', (data) => {
      if (this.stopped) return;
      const m = this.parse(data.toString());
      if (!m) return;
      const bot = typeof m.ch === 'number' ? link.bots.get(m.ch) : undefined;
      if (bot) this.onMessage(bot, m);
      else if (m.t === 'err') {
        // An error on no channel, or on one already given up: counted, not pinned on a player.
        this.phase.errors++;
        this.totals.errors++;
        this.noteError(`${m.code}: ${m.message}`);
      }
    });
    ws.on('error', (err) => {
      if (this.stopped) return;
      for (const bot of [...link.bots.values()])
        if (bot.state === 'connecting') this.fail(bot, phaseAtOpen, err.message);
      this.noteError(err.message);
    });
    ws.on('close', (code) => {
      this.links.delete(link);
      this.roomy.delete(link);
      for (const bot of [...link.bots.values()]) this.onClose(bot, code);
      link.bots.clear();
    });
    return link;
  }

  /** Takes a bot off its link; a link left empty is closed (the server sees its players gone already). */
  private unlink(bot: Bot, logout: boolean): void {
    const link = bot.link;
    if (!link || !link.bots.has(bot.ch)) return;
    // A login that may still succeed is undone: the channel's frames are answered in order, so this logout
    // lands after it (and earns NOT_LOGGED_IN if the login failed).
    if (logout && bot.loginSent && link.ws.readyState === WebSocket.OPEN)
      this.send(bot, { t: 'logout', seq: ++bot.seq });
    link.bots.delete(bot.ch);
    if (link.bots.size === 0) {
      this.links.delete(link);
      this.roomy.delete(link);
      if (link.ws.readyState === WebSocket.CONNECTING) link.ws.terminate();
      else link.ws.close(1000);
    } else if (this.links.has(link)) this.roomy.add(link);
  }

  private parse(text: string): ServerMessage | null {
    try {
      return JSON.parse(text) as ServerMessage;
    } catch {
      this.phase.errors++;
      this.totals.errors++;
      this.noteError('a reply that is not JSON');
      return null;
    }
  }

  private onMessage(bot: Bot, m: ServerMessage): void {
    if (m.t === 'ok') {
      if (m.op === 'login' && bot.state === 'connecting') {
        if (bot.timer) clearTimeout(bot.timer);
        bot.timer = null;
        bot.state = 'online';
        bot.activeAt = performance.now() + this.init.thinkTimeMs;
        this.thinking.push(bot);
        return;
      }
      if (m.op === 'logout') {
        this.close(bot);
        return;
      }
      const p = bot.pending.get(m.seq);
      if (!p) return;
      bot.pending.delete(m.seq);
      const us = Math.max(1, Math.round((performance.now() - p.t) * 1000));
      p.phase.hist.recordValue(Math.min(us, MAX_LATENCY_US));
      p.phase.answered++;
      this.totals.answered++;
      return;
    }
    // An error reply: counted in the phase the request was sent in.
    const p = m.seq !== null ? bot.pending.get(m.seq) : undefined;
    if (p) bot.pending.delete(m.seq!);
    (p?.phase ?? this.phase).errors++;
    this.totals.errors++;
    this.noteError(`${m.code}: ${m.message}`);
    if (bot.state === 'connecting') this.fail(bot, this.phase, `login refused: ${m.code}`);
  }

  private onClose(bot: Bot, code: number): void {
    if (this.stopped) return;
    if (bot.timer) clearTimeout(bot.timer);
    bot.timer = null;
    if (bot.state === 'online' && code === CloseCode.goingAway) {
      // The server is shutting down (a Ctrl-C reaches it too): the run reports that, not every player.
      this.totals.dropped++;
      this.forget(bot, false);
      return;
    }
    if (bot.state === 'online') {
      // The server hung up on a player who did not leave.
      this.totals.dropped++;
      this.phase.errors++;
      this.totals.errors++;
      this.noteError(`server closed a connection (code ${code})`);
    } else if (bot.state === 'connecting') {
      this.fail(bot, this.phase, `connection closed before login (code ${code})`);
      return;
    }
    this.forget(bot);
  }

  /** A bot that never logged in: counted as a connect failure; the parent's next tick replaces it. */
  private fail(bot: Bot, phase: PhaseStats, why: string): void {
    if (bot.state !== 'connecting') return;
    phase.connectFailures++;
    this.totals.connectFailures++;
    this.noteError(`connect failed: ${why}`);
    this.forget(bot);
    if (bot.link) this.unlink(bot, true);
    else bot.ws.terminate();
  }

  /** Takes `n` bots chosen at random out, as real players leave: logout, then close. */
  private disconnect(n: number): void {
    const candidates = [...this.bots].filter((b) => b.state === 'online' || b.state === 'connecting');
    for (let i = 0; i < n && candidates.length > 0; i++) {
      const j = Math.floor(Math.random() * candidates.length);
      const bot = candidates[j]!;
      candidates[j] = candidates[candidates.length - 1]!;
      candidates.pop();
      this.leave(bot);
    }
  }

  private leave(bot: Bot): void {
    const wasOnline = bot.state === 'online';
    this.deactivate(bot);
    bot.state = 'leaving';
    if (bot.timer) clearTimeout(bot.timer);
    if (!wasOnline || bot.ws.readyState !== WebSocket.OPEN) {
      if (bot.link) this.unlink(bot, true);
      else bot.ws.terminate();
      this.forget(bot);
      return;
    }
    this.send(bot, { t: 'logout', seq: ++bot.seq });
    bot.timer = setTimeout(() => this.close(bot), LOGOUT_TIMEOUT_MS);
  }

  private close(bot: Bot): void {
    if (bot.timer) clearTimeout(bot.timer);
    bot.timer = null;
    this.deactivate(bot);
    bot.state = 'gone';
    if (bot.link) this.unlink(bot, false);
    else bot.ws.close(1000);
    // Messages still unanswered when the player leaves were lost, not slow.
    this.forget(bot);
  }

  private forget(bot: Bot, countPending = true): void {
    this.deactivate(bot);
    if (bot.pending.size > 0 && countPending) {
      for (const p of bot.pending.values()) p.phase.errors++;
      this.totals.errors += bot.pending.size;
      bot.pending.clear();
    }
    bot.state = 'gone';
    bot.pending.clear();
    this.bots.delete(bot);
  }

  private deactivate(bot: Bot): void {
    if (bot.slot < 0 || this.active[bot.slot] !== bot) {
      bot.slot = -1;
      return;
    }
    const last = this.active.pop()!;
    if (last !== bot) {
      this.active[bot.slot] = last;
      last.slot = bot.slot;
    }
    bot.slot = -1;
  }

  /** Moves the players whose think time is over into `active`; one that left meanwhile is dropped. */
  private promoteThinkers(now: number): void {
    const q = this.thinking;
    while (this.thinkingHead < q.length && q[this.thinkingHead]!.activeAt <= now) {
      const bot = q[this.thinkingHead++]!;
      if (bot.state !== 'online' || bot.slot >= 0) continue;
      bot.slot = this.active.length;
      this.active.push(bot);
    }
    if (this.thinkingHead > 1024 && this.thinkingHead * 2 > q.length) {
      this.thinking = q.slice(this.thinkingHead);
      this.thinkingHead = 0;
    }
  }

  private sendTick(): void {
    const now = performance.now();
    const dt = (now - this.lastTick) / 1000;
    this.lastTick = now;
    this.promoteThinkers(now);
    if (this.rate <= 0 || this.active.length === 0) return;
    // Poisson-free but fair: the expected count per tick, with the fraction carried by a coin flip.
    const expected = this.rate * this.active.length * dt;
    const n = Math.floor(expected) + (Math.random() < expected % 1 ? 1 : 0);
    for (let i = 0; i < n; i++) {
      const bot = this.active[Math.floor(Math.random() * this.active.length)]!;
      const seq = ++bot.seq;
      bot.pending.set(seq, { t: now, phase: this.phase });
      this.phase.sent++;
      this.totals.sent++;
      this.send(bot, { t: 'msg', seq, kind: 'move' });
    }
  }

  private send(bot: Bot, m: ClientMessage): void {
    if (bot.ws.readyState !== WebSocket.OPEN) return;
    if (bot.link) m.ch = bot.ch;
    bot.ws.send(JSON.stringify(m));
  }

  private noteError(message: string): void {
    if (this.lastError === null) this.lastError = message;
  }

  status(): BotStatus {
    let online = 0;
    let connecting = 0;
    let leaving = 0;
    for (const b of this.bots) {
      if (b.state === 'online') online++;
      else if (b.state === 'connecting') connecting++;
      else if (b.state === 'leaving') leaving++;
    }
    const s: BotStatus = {
      type: 'status',
      worker: this.init.worker,
      ack: this.ack,
      count: online + connecting,
      online,
      connecting,
      leaving,
      ...this.totals,
      lastError: this.lastError,
    };
    this.lastError = null;
    return s;
  }

  private postStatus(): void {
    if (!this.stopped) this.init.port.postMessage(this.status());
  }

  private snapshot(): Record<string, PhaseCounters> {
    const out: Record<string, PhaseCounters> = {};
    for (const [label, p] of this.phases) out[label] = p.snapshot();
    return out;
  }

  private async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.sendTimer);
    clearInterval(this.statusTimer);
    const status = this.status();
    const phases = this.snapshot();
    // No goodbyes: the run is over (or interrupted) and the server is about to stop too.
    for (const b of this.bots) {
      if (b.timer) clearTimeout(b.timer);
      b.slot = -1;
      b.state = 'gone';
      b.ws.terminate();
    }
    for (const l of this.links) l.ws.terminate();
    this.links.clear();
    this.roomy.clear();
    this.bots.clear();
    this.active.length = 0;
    this.thinking = [];
    this.init.port.close();
    this.resolveStop({ worker: this.init.worker, phases, status });
  }
}

/** The piscina task: hosts bots until `stop`. */
export default function botHost(init: BotHostInit): Promise<BotHostResult> {
  // Named so per-thread CPU (benches, top -H, perf) tells the bots from the run engine and Node's helpers.
  nameThisThread(BOT_THREAD_NAME);
  return new BotHost(init).done;
}
