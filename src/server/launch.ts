// Starts a server process (dist/src/server/main.js, by path) and speaks the control protocol to it over
// child-process IPC. The allocator's environment is computed here and given to fork(), because the
// library reads its malloc_conf from the environment the process starts with.

import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { variantEnv } from '../alloc/variants.js';
import type { AllocInfo } from '../alloc/stats.js';
import { SimloadError } from '../errors.js';
import type { ControlReply, ServerEvent, ServerStart, ServerStats, ServiceMemory } from './control.js';
import { ControlClient, type ServerState } from './control-client.js';
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
  /** starting, ready, stopping or gone (control-client.ts). */
  state(): ServerState;
}

export async function launchServer(o: LaunchOptions): Promise<ServerHandle> {
  validateServerOptions(o.options);
  const env = { ...process.env, ...variantEnv(o.variant), ...(o.env ?? {}) };
  // Own process group: a terminal's Ctrl-C goes to simload, which stops the server after the last sample.
  // The server still exits when simload dies (IPC 'disconnect' in main.ts), so it cannot be orphaned.
  const child: ChildProcess = fork(MAIN_PATH, [], {
    env,
    execArgv: [],
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
  });
  // Through this process's stdout, not inherited: what a loaded library prints passes the CLI's terminal filter.
  child.stdout!.setEncoding('utf8');
  child.stdout!.on('data', (text: string) => process.stdout.write(text));

  let tail = '';
  child.stderr!.setEncoding('utf8');
  child.stderr!.on('data', (text: string) => {
    tail = (tail + text).slice(-STDERR_TAIL);
    o.onStderr?.(text);
  });
  const withTail = (message: string): string =>
    tail.trim() ? `${message}\nserver stderr:\n${tail.trimEnd()}` : message;

  const control = new ControlClient(child, withTail);
  // 'close' comes after the exit and after stderr has been read to its end: the reason is complete then.
  const closed = new Promise<void>((resolve) => child.once('close', () => resolve()));
  const exited = new Promise<{ code: number | null; signal: string | null }>((resolve) => {
    child.once('exit', (code, signal) => {
      control.gone(code, signal);
      resolve({ code, signal });
    });
  });

  let stopping: Promise<void> | null = null;
  const handleBase = {
    pid: child.pid!,
    exited,
    stats: (timeoutMs = 5000) => control.ask('stats', timeoutMs, (r) => (r as { stats: ServerStats }).stats),
    services: () => control.ask('services', 10_000, (r) => (r as { services: ServiceMemory[] }).services),
    purge: () => control.ask('purge', 30_000, (r) => (r as { stats: ServerStats }).stats),
    kill: () => {
      if (control.state !== 'gone') child.kill('SIGKILL');
    },
    stop: (timeoutMs = 5000) =>
      (stopping ??= (async () => {
        if (control.state === 'gone') return;
        control.stopping();
        const killer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
        if (child.connected) control.request('stop', timeoutMs).catch(() => child.kill('SIGTERM'));
        else child.kill('SIGTERM');
        await exited;
        clearTimeout(killer);
      })()),
    stderrTail: () => tail,
    fatal: () => control.fatal,
    crashReason: async () => {
      const e = await exited;
      await Promise.race([closed, new Promise((r) => setTimeout(r, 1000).unref())]);
      const how = e.signal ? `signal ${e.signal}` : `code ${e.code}`;
      const fatal = control.fatal ? `; ${control.fatal.code}: ${control.fatal.message}` : '';
      return withTail(`${how}${fatal}`);
    },
    state: () => control.state,
  };

  return new Promise<ServerHandle>((resolve, reject) => {
    let settled = false; // the start promise is decided (ready, or failed and being killed)
    const fail = (code: string, message: string): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      child.kill('SIGKILL');
      // Wait for the exit so the caller never sees a half-dead process, then report with stderr.
      void exited.then(() => closed).then(() => reject(new SimloadError(code, withTail(message))));
    };
    const timer = setTimeout(
      () => fail('ERR_SERVER_START', `the server did not start within ${START_TIMEOUT_MS / 1000} s`),
      START_TIMEOUT_MS,
    );
    child.on('message', (m: ServerEvent | ControlReply) => {
      if (settled || !('type' in m)) return;
      if (m.type === 'ready') {
        settled = true;
        control.ready();
        clearTimeout(timer);
        resolve({ ...handleBase, url: m.url, port: m.port, alloc: m.alloc });
      } else if (m.type === 'fatal') fail(m.code, `server for variant ${o.variant.name} failed to start: ${m.message}`);
    });
    child.once('error', (err) => fail('ERR_SERVER_SPAWN', `cannot start the server process: ${err.message}`));
    void exited.then(({ code, signal }) =>
      fail('ERR_SERVER_START', `the server process exited during start (code ${code}, signal ${signal})`),
    );
    child.send({ type: 'start', options: o.options, variant: o.variant } satisfies ServerStart);
  });
}
