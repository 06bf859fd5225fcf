// A Locust swarm on loopback for the export test and bench/locust.ts: `simload serve --record` plus a Locust
// master and workers (Debian's python3-locust, run with /usr/bin/python3: the python3 first on PATH may be
// another one without Locust). Every process started here is killed by stop(), whatever happened.

import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';

export const LOCUST = '/usr/bin/locust';
export const PYTHON = '/usr/bin/python3';
const BIN = fileURLToPath(new URL('../../../bin/simload.js', import.meta.url));

/** Why the swarm cannot run here (null when it can): Locust and websocket-client must be importable. */
export function locustMissing(): string | null {
  if (!existsSync(LOCUST) || !existsSync(PYTHON))
    return `${LOCUST} not installed: apt-get install python3-locust python3-websocket`;
  const r = spawnSync(PYTHON, ['-c', 'import locust, websocket'], { encoding: 'utf8' });
  return r.status === 0
    ? null
    : `python3-locust or python3-websocket missing (${r.stderr.trim().split('\n').at(-1)}): apt-get install python3-locust python3-websocket`;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const a = srv.address();
      const port = typeof a === 'object' && a ? a.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

export interface Proc {
  name: string;
  child: ChildProcess;
  out(): string;
  err(): string;
  exited: Promise<number | null>;
}

function start(name: string, cmd: string, args: string[], cwd: string): Proc {
  const child = spawn(cmd, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout!.on('data', (d) => (out += String(d)));
  child.stderr!.on('data', (d) => (err += String(d)));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { name, child, out: () => out, err: () => err, exited };
}

export interface Swarm {
  serve: Proc;
  url: string;
  master: Proc;
  workers: Proc[];
  /** Kills whatever still runs (SIGKILL), and waits for it. */
  stop(): Promise<void>;
}

export interface SwarmOptions {
  scenario: string;
  locustfile: string;
  variant: string;
  outDir: string;
  cwd: string;
  workers: number;
  /** Extra master arguments, e.g. --csv PREFIX. */
  masterArgs?: string[];
  /** Wait for the serve URL at most this long, ms. */
  startTimeoutMs?: number;
}

/** Starts `simload serve --record`, then once it listens a Locust master and `workers` workers. */
export async function startSwarm(o: SwarmOptions): Promise<Swarm> {
  const procs: Proc[] = [];
  const stop = async (): Promise<void> => {
    for (const p of procs) if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill('SIGKILL');
    await Promise.all(procs.map((p) => p.exited));
  };
  try {
    const serve = start(
      'serve',
      process.execPath,
      [BIN, 'serve', '--config', o.scenario, '--variant', o.variant, '--record', '--out', o.outDir],
      o.cwd,
    );
    procs.push(serve);
    const url = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(
        () =>
          reject(new Error(`serve printed no URL in ${o.startTimeoutMs ?? 60_000} ms: ${serve.out()} ${serve.err()}`)),
        o.startTimeoutMs ?? 60_000,
      );
      const look = () => {
        const m = /simload serve: (ws:\/\/\S+)/.exec(serve.out());
        if (m && /recording into/.test(serve.out())) {
          clearTimeout(timer);
          resolve(m[1]!);
        }
      };
      serve.child.stdout!.on('data', look);
      void serve.exited.then((code) => {
        clearTimeout(timer);
        reject(new Error(`serve exited ${code} before listening: ${serve.out()} ${serve.err()}`));
      });
    });
    const port = await freePort();
    const master = start(
      'master',
      LOCUST,
      [
        '-f',
        o.locustfile,
        '--headless',
        '--master',
        '--expect-workers',
        String(o.workers),
        '--master-bind-host',
        '127.0.0.1',
        '--master-bind-port',
        String(port),
        '--host',
        url,
        '--only-summary',
        ...(o.masterArgs ?? []),
      ],
      o.cwd,
    );
    procs.push(master);
    const workers: Proc[] = [];
    for (let i = 0; i < o.workers; i++) {
      const w = start(
        `worker${i + 1}`,
        LOCUST,
        ['-f', o.locustfile, '--worker', '--master-host', '127.0.0.1', '--master-port', String(port)],
        o.cwd,
      );
      procs.push(w);
      workers.push(w);
    }
    return { serve, url, master, workers, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

/** Resolves with the exit code, or rejects after `ms` (the caller then stops the swarm). */
export function within(p: Proc, ms: number): Promise<number | null> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () =>
        reject(
          new Error(
            `${p.name} still running after ${ms} ms\n--- stdout\n${p.out().slice(-3000)}\n--- stderr\n${p.err().slice(-3000)}`,
          ),
        ),
      ms,
    );
    void p.exited.then((code) => {
      clearTimeout(timer);
      resolve(code);
    });
  });
}

/** Server-side established TCP connections on `port` right now (/proc/net/tcp and tcp6). */
export function serverConnections(port: number): number {
  const hex = `:${port.toString(16).toUpperCase().padStart(4, '0')}`;
  let n = 0;
  for (const f of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text = '';
    try {
      text = readFileSync(f, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const c = line.trim().split(/\s+/);
      if (c.length > 3 && c[1]!.endsWith(hex) && c[3] === '01') n++;
    }
  }
  return n;
}
