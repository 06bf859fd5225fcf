// Starts a server process (dist/src/server/main.js, by path) and speaks the control protocol to it over
// child-process IPC. The allocator's environment is computed here and given to fork(), because the
// library reads its malloc_conf from the environment the process starts with.

import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { variantEnv } from '../alloc/variants.js';
import type { AllocInfo } from '../alloc/stats.js';
import { SimloadError } from '../errors.js';
import type { ControlReply, ControlRequest, ServerEvent, ServerStart, ServerStats, ServiceMemory } from './control.js';
import type { ServerOptions } from './options.js';
import type { VariantOptions } from '../alloc/options.js';
import { validateServerOptions } from './validate.js';

export { defaultServerOptions } from './defaults.js';

const MAIN_PATH = fileURLToPath(new URL('./main.js', import.meta.url));
const START_TIMEOUT_MS = 30_000;
const STDERR_TAIL = 8192;

export interface LaunchOptions {
  options: ServerOptions;
  variant: VariantOptions;
  /** extra env */
  env?: Record<string, string>;
  /** Called for each chunk the server writes to stderr (default: kept, shown only in errors). */
  onStderr?: (text: string) => void;
}

export interface ServerHandle {
  pid: number;
  url: string;
  port: number;
  alloc: AllocInfo;
  stats(timeoutMs?: number): Promise<ServerStats>;
  services(): Promise<ServiceMemory[]>;
  purge(): Promise<ServerStats>;
  /** Graceful stop, SIGKILL after timeout; idempotent. */
  stop(timeoutMs?: number): Promise<void>;
  /** SIGKILL now. */
  kill(): void;
  readonly exited: Promise<{ code: number | null; signal: string | null }>;
  /** The last few KiB the server wrote to stderr (added; not in API.md). */
  stderrTail(): string;
  /** The last `fatal` message the server sent after it started (a worker died), if any. */
  fatal(): { code: string; message: string } | null;
  /**
   * Why the process ended, once it has (after its stderr is read to the end): signal or code, the last fatal
   * message, the last stderr lines. Null while it runs.
   */
  crashReason(): Promise<string>;
}

type Pending = { resolve: (r: ControlReply) => void; reject: (e: Error) => void; timer: NodeJS.Timeout };

export async function launchServer(o: LaunchOptions): Promise<ServerHandle> {
  validateServerOptions(o.options);
  const env = { ...process.env, ...variantEnv(o.variant), ...(o.env ?? {}) };
  // Own process group: a terminal's Ctrl-C goes to simload, which stops the server after the last sample.
  // The server still exits when simload dies (IPC 'disconnect' in main.ts), so it cannot be orphaned.
  const child: ChildProcess = fork(MAIN_PATH, [], { env, execArgv: [], detached: true, stdio: ['ignore', 'inherit', 'pipe', 'ipc'] });

  let tail = '';
  child.stderr!.setEncoding('utf8');
  child.stderr!.on('data', (text: string) => {
    tail = (tail + text).slice(-STDERR_TAIL);
    o.onStderr?.(text);
  });
  const withTail = (message: string): string => (tail.trim() ? `${message}\nserver stderr:\n${tail.trimEnd()}` : message);

  const pending = new Map<number, Pending>();
  let nextId = 1;
  let gone: { code: number | null; signal: string | null } | null = null;
  // 'close' comes after the exit and after stderr has been read to its end: the reason is complete then.
  const closed = new Promise<void>((resolve) => child.once('close', () => resolve()));
  let lastFatal: { code: string; message: string } | null = null;
  const exited = new Promise<{ code: number | null; signal: string | null }>((resolve) => {
    child.once('exit', (code, signal) => {
      gone = { code, signal };
      for (const p of pending.values()) {
        clearTimeout(p.timer);
        p.reject(new SimloadError('ERR_SERVER_GONE', withTail(`the server process ${child.pid} exited (code ${code}, signal ${signal})`)));
      }
      pending.clear();
      resolve(gone);
    });
  });

  function request(op: ControlRequest['op'], timeoutMs: number): Promise<ControlReply> {
    if (gone) return Promise.reject(new SimloadError('ERR_SERVER_GONE', `the server process ${child.pid} has exited`));
    const id = nextId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        pending.delete(id);
        reject(new SimloadError('ERR_CONTROL_TIMEOUT', `the server did not answer '${op}' within ${timeoutMs} ms`));
      }, timeoutMs);
      pending.set(id, { resolve, reject, timer });
      try {
        child.send({ id, op } as ControlRequest);
      } catch (err) {
        clearTimeout(timer);
        pending.delete(id);
        reject(new SimloadError('ERR_SERVER_GONE', `cannot reach the server: ${(err as Error).message}`));
      }
    });
  }

  async function ask<T>(op: ControlRequest['op'], timeoutMs: number, pick: (r: ControlReply & { ok: true }) => T): Promise<T> {
    const r = await request(op, timeoutMs);
    if (!r.ok) throw new SimloadError(r.code, `server ${op}: ${r.message}`);
    return pick(r);
  }

  let stopping: Promise<void> | null = null;
  const handleBase = {
    pid: child.pid!,
    exited,
    stats: (timeoutMs = 5000) => ask('stats', timeoutMs, (r) => (r as { stats: ServerStats }).stats),
    services: () => ask('services', 10_000, (r) => (r as { services: ServiceMemory[] }).services),
    purge: () => ask('purge', 30_000, (r) => (r as { stats: ServerStats }).stats),
    kill: () => {
      if (!gone) child.kill('SIGKILL');
    },
    stop: (timeoutMs = 5000) =>
      (stopping ??= (async () => {
        if (gone) return;
        const killer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
        if (child.connected) request('stop', timeoutMs).catch(() => child.kill('SIGTERM'));
        else child.kill('SIGTERM');
        await exited;
        clearTimeout(killer);
      })()),
    stderrTail: () => tail,
    fatal: () => lastFatal,
    crashReason: async () => {
      const e = await exited;
      await Promise.race([closed, new Promise((r) => setTimeout(r, 1000).unref())]);
      const how = e.signal ? `signal ${e.signal}` : `code ${e.code}`;
      const fatal = lastFatal ? `; ${lastFatal.code}: ${lastFatal.message}` : '';
      return withTail(`${how}${fatal}`);
    },
  };

  child.on('message', (m: ServerEvent | ControlReply) => {
    if ('type' in m && m.type === 'fatal') lastFatal = { code: m.code, message: m.message };
    if ('id' in m && typeof m.id === 'number') {
      const p = pending.get(m.id);
      if (!p) return;
      pending.delete(m.id);
      clearTimeout(p.timer);
      p.resolve(m);
    }
  });

  return new Promise<ServerHandle>((resolve, reject) => {
    let settled = false;
    const fail = (code: string, message: string): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      child.kill('SIGKILL');
      // Wait for the exit so the caller never sees a half-dead process, then report with stderr.
      void exited.then(() => closed).then(() => reject(new SimloadError(code, withTail(message))));
    };
    const timer = setTimeout(() => fail('ERR_SERVER_START', `the server did not start within ${START_TIMEOUT_MS / 1000} s`), START_TIMEOUT_MS);
    child.on('message', (m: ServerEvent | ControlReply) => {
      if (settled || !('type' in m)) return;
      if (m.type === 'ready') {
        settled = true;
        clearTimeout(timer);
        resolve({ ...handleBase, url: m.url, port: m.port, alloc: m.alloc });
      } else if (m.type === 'fatal') fail(m.code, `server for variant ${o.variant.name} failed to start: ${m.message}`);
    });
    child.once('error', (err) => fail('ERR_SERVER_SPAWN', `cannot start the server process: ${err.message}`));
    void exited.then(({ code, signal }) => fail('ERR_SERVER_START', `the server process exited during start (code ${code}, signal ${signal})`));
    child.send({ type: 'start', options: o.options, variant: o.variant } satisfies ServerStart);
  });
}
