// A tiny WebSocket client for the server tests: real connections on loopback, replies read in order.

import WebSocket from 'ws';
import { defaultServerOptions } from '../../src/server/defaults.js';
import { launchServer, type ServerHandle } from '../../src/server/launch.js';
import type { ServerOptions } from '../../src/server/options.js';
import type { VariantOptions } from '../../src/alloc/options.js';
import type { ServerMessage } from '../../src/server/protocol.js';

export class Client {
  private readonly inbox: ServerMessage[] = [];
  private readonly waiters: Array<(m: ServerMessage | null) => void> = [];
  readonly closed: Promise<{ code: number; reason: string }>;
  private seq = 0;

  private constructor(readonly ws: WebSocket) {
    ws.on('message', (data) => {
      const m = JSON.parse(String(data)) as ServerMessage;
      const w = this.waiters.shift();
      if (w) w(m);
      else this.inbox.push(m);
    });
    this.closed = new Promise((resolve) => {
      ws.on('close', (code, reason) => {
        for (const w of this.waiters.splice(0)) w(null);
        resolve({ code, reason: reason.toString() });
      });
    });
    ws.on('error', () => undefined);
  }

  static open(url: string): Promise<Client> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(url, { perMessageDeflate: false });
      const c = new Client(ws);
      ws.once('open', () => resolve(c));
      ws.once('error', reject);
    });
  }

  send(m: object | string | Buffer): void {
    this.ws.send(typeof m === 'object' && !Buffer.isBuffer(m) ? JSON.stringify(m) : m);
  }

  /** The next message from the server; null if the connection closed first. */
  next(timeoutMs = 10_000): Promise<ServerMessage | null> {
    const m = this.inbox.shift();
    if (m) return Promise.resolve(m);
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`no reply within ${timeoutMs} ms`)), timeoutMs);
      this.waiters.push((v) => {
        clearTimeout(t);
        resolve(v);
      });
    });
  }

  async request(m: object | string | Buffer): Promise<ServerMessage | null> {
    this.send(m);
    return this.next();
  }

  login(player: string): Promise<ServerMessage | null> {
    return this.request({ t: 'login', seq: ++this.seq, player });
  }
  msg(): Promise<ServerMessage | null> {
    return this.request({ t: 'msg', seq: ++this.seq, kind: 'move' });
  }
  logout(): Promise<ServerMessage | null> {
    return this.request({ t: 'logout', seq: ++this.seq });
  }

  async close(): Promise<void> {
    this.ws.close(1000);
    await this.closed;
  }
}

/** Runs fn(0..n-1) with at most `concurrency` at a time. */
export async function inBatches<T>(n: number, concurrency: number, fn: (i: number) => Promise<T>): Promise<T[]> {
  const out: T[] = new Array(n);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(n, concurrency) }, async () => {
      while (next < n) {
        const i = next++;
        out[i] = await fn(i);
      }
    }),
  );
  return out;
}

export async function waitFor(what: string, check: () => Promise<boolean>, timeoutMs = 15_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export const VARIANTS: Record<string, VariantOptions> = {
  'madv-free': { name: 'madv-free', build: 'madv-free' },
  glibc: { name: 'glibc', build: 'glibc' },
};

export function serverOptions(over: Partial<ServerOptions> = {}): ServerOptions {
  return { ...defaultServerOptions(), ...over };
}

export function startServer(over: Partial<ServerOptions> = {}, variant: VariantOptions = VARIANTS['madv-free']!): Promise<ServerHandle> {
  return launchServer({ options: serverOptions(over), variant });
}
