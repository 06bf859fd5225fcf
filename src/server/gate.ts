// The gate: a WebSocket server on loopback that turns frames into mail for the agents and sends their
// replies back. Bad frames get an `err` reply; frames over maxFrameBytes get close 1009 (ws does that).
//
// Backpressure: a connection whose unsent replies pass sendHighWaterBytes, or that has
// maxInflightPerConnection requests unanswered, is no longer read (ws.pause) until both fall to half. A
// client that never reads its replies therefore stalls itself (TCP pushes back on it) and costs the server
// at most about high-water + in-flight replies; it is never dropped for being slow.
//
// Multiplexed connections (`?mux=1`, mux.ts) carry many players, one per channel; the same bounds apply to
// the connection as a whole, with the in-flight bound raised to max(maxInflightPerConnection,
// maxChannelsPerConnection) so each player may have about one request in flight. A paused mux connection
// stalls all its players together, as a gateway link does.

import type { Socket } from 'node:net';
import { WebSocketServer, WebSocket, type RawData } from 'ws';
import { SimloadError } from '../errors.js';
import type { Agents, Counters } from './agents.js';
import { BACKPRESSURE_DEFAULTS, MUX_DEFAULTS, ORIGIN_DEFAULTS } from './defaults.js';
import { parseFrame } from './frames.js';
import type { Conn, Player } from './model.js';
import { Mux } from './mux.js';
import type { ServerOptions } from './options.js';
import { CloseCode, MUX_QUERY, serverText, type ErrorCode, type ServerMessage } from './protocol.js';

/** Written under ws's frames as a marker: no bytes reach the client. */
const NOTHING = Buffer.alloc(0);

function frameBuffer(data: RawData): Buffer {
  if (Buffer.isBuffer(data)) return data;
  return Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data);
}

/** `/?mux=1` (any path, as ws accepts any): a multiplexed connection. */
function isMuxUrl(url: string | undefined): boolean {
  const q = url?.indexOf('?') ?? -1;
  return q >= 0 && new URLSearchParams(url!.slice(q + 1)).get('mux') === MUX_QUERY.split('=')[1];
}

class GateConn implements Conn {
  player: Player | null = null;
  inflight = 0;
  paused = false;
  /** Set on a multiplexed connection: its channels are the Conns the agents see. */
  mux: Mux | null = null;
  /** Corked until the end of the worker batch whose replies are being sent (Gate.batch). */
  corked = false;
  constructor(
    readonly id: number,
    readonly ws: WebSocket,
    /** The TCP socket under ws (the upgrade request's), corked while a batch's replies are written. */
    readonly socket: Socket,
    private readonly gate: Gate,
  ) {}

  get open(): boolean {
    return this.ws.readyState === WebSocket.OPEN;
  }

  send(m: ServerMessage): void {
    this.sendText(serverText(m));
  }

  sendText(text: string): void {
    if (this.mux && !this.corked && this.gate.batching) this.gate.cork(this);
    if (this.paused) {
      // While paused, every send reports when it reached the socket, so the last one to drain resumes us.
      this.ws.send(text, () => this.settled());
    } else {
      this.ws.send(text);
      if (this.ws.bufferedAmount > this.gate.highWater) this.pause();
    }
  }

  /** Requests in flight (held mux frames included) past which this connection is not read. */
  get inflightLimit(): number {
    return this.mux ? this.gate.maxInflightMux : this.gate.maxInflight;
  }

  pause(): void {
    if (this.paused || !this.open) return;
    this.paused = true;
    this.gate.pausedCount++;
    this.ws.pause();
    // The sends before the pause carry no callback, and a connection paused on its last frame sends nothing more:
    // an empty write after them reports when they have all reached the kernel, so that connection resumes too.
    this.socket.write(NOTHING, () => this.settled());
  }

  settled(): void {
    if (!this.paused) return;
    if (!this.open) {
      this.paused = false;
      this.gate.pausedCount--;
      return;
    }
    if (this.inflight <= this.inflightLimit >> 1 && this.ws.bufferedAmount <= this.gate.highWater >> 1) {
      this.paused = false;
      this.gate.pausedCount--;
      this.ws.resume();
    }
  }
}

export class Gate {
  readonly highWater: number;
  readonly maxInflight: number;
  /** A mux connection carries many players: max(maxInflightPerConnection, maxChannelsPerConnection). */
  readonly maxInflightMux: number;
  readonly maxChannels: number;
  /** Connections not being read right now because of backpressure. */
  pausedCount = 0;
  /** Open multiplexed connections, and players logged in on them. */
  muxConnections = 0;
  channels = 0;
  private readonly conns = new Set<GateConn>();
  private nextId = 1;
  /** Inside batch(): multiplexed connections cork on their first reply and uncork at the end. */
  batching = false;
  private readonly corked: GateConn[] = [];

  private constructor(
    private readonly wss: WebSocketServer,
    private readonly agents: Agents,
    private readonly counters: Counters,
    options: ServerOptions,
  ) {
    this.highWater = options.sendHighWaterBytes ?? BACKPRESSURE_DEFAULTS.sendHighWaterBytes;
    this.maxInflight = options.maxInflightPerConnection ?? BACKPRESSURE_DEFAULTS.maxInflightPerConnection;
    this.maxChannels = options.maxChannelsPerConnection ?? MUX_DEFAULTS.maxChannelsPerConnection;
    this.maxInflightMux = Math.max(this.maxInflight, this.maxChannels);
    wss.on('connection', (ws, req) => this.accept(ws, req.socket as Socket, isMuxUrl(req.url)));
  }

  /**
   * Runs `send` (a worker batch's results) with every multiplexed connection it replies to corked, then uncorks
   * them: the many replies a batch has for one such connection leave in one write instead of one each.
   */
  batch(send: () => void): void {
    this.batching = true;
    try {
      send();
    } finally {
      this.batching = false;
      for (const c of this.corked) {
        c.corked = false;
        c.socket.uncork();
      }
      this.corked.length = 0;
    }
  }

  cork(c: GateConn): void {
    c.corked = true;
    c.socket.cork();
    this.corked.push(c);
  }

  static listen(options: ServerOptions, agents: Agents, counters: Counters): Promise<Gate> {
    return new Promise((resolve, reject) => {
      const origins = options.allowedOrigins ?? ORIGIN_DEFAULTS;
      // Cross-site WebSocket hijacking: a page in a local browser must not reach the gate (403 before upgrade).
      const verifyClient = (
        info: { origin?: string },
        done: (ok: boolean, code?: number, message?: string) => void,
      ): void => (!info.origin || origins.includes(info.origin) ? done(true) : done(false, 403, 'Origin not allowed'));
      const wss = new WebSocketServer({
        host: options.host,
        port: options.port,
        maxPayload: options.maxFrameBytes,
        clientTracking: false,
        perMessageDeflate: false,
        verifyClient,
      });
      const onError = (err: NodeJS.ErrnoException): void => {
        wss.close();
        const why =
          err.code === 'EADDRINUSE' ? `port ${options.port} on ${options.host} is already in use` : err.message;
        reject(
          new SimloadError(
            err.code === 'EADDRINUSE' ? 'ERR_PORT_IN_USE' : 'ERR_LISTEN',
            `the gate cannot listen: ${why}`,
          ),
        );
      };
      wss.once('error', onError);
      wss.once('listening', () => {
        wss.off('error', onError);
        wss.on('error', (err) => process.stderr.write(`simload server: gate error: ${err.message}\n`));
        resolve(new Gate(wss, agents, counters, options));
      });
    });
  }

  get port(): number {
    const a = this.wss.address();
    return typeof a === 'object' && a ? a.port : 0;
  }

  get url(): string {
    const a = this.wss.address();
    const host = typeof a === 'object' && a ? a.address : '127.0.0.1';
    return `ws://${host.includes(':') ? `[${host}]` : host}:${this.port}`;
  }

  get connections(): number {
    return this.conns.size;
  }

  private accept(ws: WebSocket, socket: Socket, mux: boolean): void {
    const conn = new GateConn(this.nextId++, ws, socket, this);
    if (mux) {
      conn.mux = new Mux(conn, this.agents, this.counters, this.maxChannels, (d) => (this.channels += d));
      this.muxConnections++;
    }
    this.conns.add(conn);
    this.counters.connections++;
    ws.on('message', (data, isBinary) => this.onFrame(conn, data, isBinary));
    // ws reports protocol violations here (oversized frame -> 1009, bad UTF-8 -> 1007) and closes the socket.
    ws.on('error', () => this.counters.errors++);
    ws.on('close', () => {
      this.conns.delete(conn);
      if (conn.mux) {
        conn.mux.close();
        this.muxConnections--;
      } else this.agents.disconnect(conn);
      conn.settled();
    });
  }

  private onFrame(conn: GateConn, data: RawData, isBinary: boolean): void {
    const p = parseFrame(data, isBinary);
    if (conn.mux) conn.mux.frame(p, frameBuffer(data));
    else {
      let err: { code: ErrorCode; message: string } | null;
      let seq: number | null;
      if (!p.ok) {
        err = p;
        seq = p.seq;
      } else if (p.ch !== undefined) {
        err = {
          code: 'BAD_CHANNEL',
          message: '"ch" is only for multiplexed connections (open the gate\'s URL with ?mux=1)',
        };
        seq = p.msg.seq;
      } else {
        seq = p.msg.seq;
        const m = p.msg;
        err =
          m.t === 'login'
            ? this.agents.login(conn, m.seq, m.player)
            : m.t === 'msg'
              ? this.agents.msg(conn, m.seq, frameBuffer(data))
              : this.agents.logout(conn, m.seq);
      }
      if (err) {
        this.counters.errors++;
        conn.send({ t: 'err', seq, code: err.code, message: err.message });
      }
    }
    if (conn.inflight >= conn.inflightLimit) conn.pause();
  }

  /** Closes every connection (1001 going away), then the listening socket; stragglers are cut after `graceMs`. */
  async close(graceMs = 500): Promise<void> {
    const closing = [...this.conns].map(
      (c) =>
        new Promise<void>((resolve) => {
          if (c.ws.readyState === WebSocket.CLOSED) return resolve();
          c.ws.once('close', () => resolve());
          c.ws.close(CloseCode.goingAway, 'server stopping');
        }),
    );
    const timer = setTimeout(() => {
      for (const c of this.conns) c.ws.terminate();
    }, graceMs);
    await Promise.all(closing);
    clearTimeout(timer);
    await new Promise<void>((resolve) => this.wss.close(() => resolve()));
  }
}
