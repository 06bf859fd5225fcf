// A tiny WebSocket client for the server tests: real connections on loopback, replies read in order.

import assert from 'node:assert/strict';
import WebSocket from 'ws';
import { defaultServerOptions } from '../../src/server/defaults.js';
import { launchServer, type ServerHandle } from '../../src/server/launch.js';
import type { AgentScript, ServerOptions } from '../../src/server/options.js';
import type { VariantOptions } from '../../src/alloc/options.js';
import type { ServerMessage } from '../../src/server/protocol.js';
import { waitFor } from '../helpers/wait.js';

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

export const VARIANTS: Record<string, VariantOptions> = {
  'madv-free': { name: 'madv-free', build: 'madv-free' },
  glibc: { name: 'glibc', build: 'glibc' },
};

export function serverOptions(over: Partial<ServerOptions> = {}): ServerOptions {
  return { ...defaultServerOptions(), ...over };
}

export function startServer(
  over: Partial<ServerOptions> = {},
  variant: VariantOptions = VARIANTS['madv-free']!,
): Promise<ServerHandle> {
  return launchServer({ options: serverOptions(over), variant });
}

/** What N Lua agents of one script cost through a real server (madv-free), measured at the peak and after all left. */
export interface AgentsMeasured {
  /** jemalloc `allocated` added per player, and the VMs' own bytes per player, at the peak. */
  perPlayer: number;
  vmBytes: number;
  /** allocated at baseline, at the peak and after every player logged out and its VM closed. */
  base: number;
  peak: number;
  end: number;
}

/**
 * Logs N players in (one message each) to a real 2-thread server running `script` as Lua agents, reads what they
 * hold, logs them out and waits until every VM is closed. Asserts the counts (N VMs, no errors, none left).
 */
export async function measureLuaAgents(script: AgentScript, n: number, prefix: string): Promise<AgentsMeasured> {
  const options = serverOptions({ threads: 2, logoutFreeDelayMs: 0, agentModel: 'lua', script });
  const h = await launchServer({ options, variant: VARIANTS['madv-free']! });
  try {
    const base = (await h.purge()).alloc.allocated;
    const clients = await inBatches(n, 50, async (i) => {
      const c = await Client.open(h.url);
      assert.deepEqual(await c.login(`${prefix}-${i}`), { t: 'ok', seq: 1, op: 'login' });
      assert.equal((await c.msg())?.t, 'ok');
      return c;
    });
    const peak = await h.purge();
    assert.equal(peak.luaVms, n);
    assert.equal(peak.counters.errors, 0);
    const vmBytes = (await h.services()).reduce((a, x) => a + x.bytes, 0) / n;
    await inBatches(n, 50, async (i) => {
      assert.equal((await clients[i]!.logout())?.t, 'ok');
      await clients[i]!.close();
    });
    await waitFor('agents to exit', async () => (await h.stats()).services === 0);
    const end = await h.purge();
    assert.equal(end.luaVms, 0);
    return {
      perPlayer: (peak.alloc.allocated - base) / n,
      vmBytes,
      base,
      peak: peak.alloc.allocated,
      end: end.alloc.allocated,
    };
  } finally {
    await h.stop();
  }
}
