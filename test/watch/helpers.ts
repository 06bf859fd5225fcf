// Shared by the watch tests: a real skynet (cached build) running test/watch/skynet/watched.lua with its debug
// console on 127.0.0.1 and a free port, and a stream to type phase marks into.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { PassThrough } from 'node:stream';
import { packageRoot } from '../../src/native/paths.js';
import { peerSources } from '../../src/native/peers.js';
import { buildSkynet } from '../../src/native/skynet-build.js';
import { writeSkynetConfig } from '../../src/native/skynet-config.js';

export const skynetSources = peerSources();

export interface RunningSkynet {
  child: ChildProcess;
  pid: number;
  port: number;
  /** Resolves when skynet has printed a line containing `text`. */
  printed(text: string, timeoutMs?: number): Promise<void>;
  /** Everything skynet printed so far. */
  output(): string;
  stop(): Promise<void>;
}

export async function startWatchedSkynet(o: {
  recipe: 'madv-free' | 'no-madv-free';
  conf: string;
  env?: Record<string, number>;
  start?: string;
}): Promise<RunningSkynet> {
  const b = await buildSkynet({
    skynetSrc: skynetSources!.skynet,
    jemallocSrc: skynetSources!.jemalloc,
    recipe: o.recipe,
  });
  const dir = mkdtempSync(join(tmpdir(), 'simload-watch-skynet-'));
  const config = writeSkynetConfig(join(dir, 'config'), {
    root: b.root,
    start: o.start ?? 'watched',
    serviceDirs: [resolve(packageRoot, 'test', 'watch', 'skynet')],
    thread: 2,
    env: { console_port: 0, ...o.env },
  });
  const child = spawn(join(b.root, 'skynet'), [config], {
    cwd: b.root,
    env: { ...process.env, JE_MALLOC_CONF: o.conf },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  const waiters: Array<() => void> = [];
  child.stdout!.setEncoding('utf8').on('data', (d: string) => {
    out += d;
    for (const w of waiters.splice(0)) w();
  });
  child.stderr!.resume();
  const printed = (text: string, timeoutMs = 30_000) =>
    new Promise<void>((res, rej) => {
      const timer = setTimeout(
        () => rej(new Error(`skynet did not print ${JSON.stringify(text)} within ${timeoutMs} ms:\n${out}`)),
        timeoutMs,
      );
      const check = () => {
        if (out.includes(text)) {
          clearTimeout(timer);
          res();
        } else if (child.exitCode !== null) {
          clearTimeout(timer);
          rej(new Error(`skynet exited (${child.exitCode}) before printing ${JSON.stringify(text)}:\n${out}`));
        } else waiters.push(check);
      };
      check();
    });
  await printed('Start debug console at ');
  const port = Number(/Start debug console at 127\.0\.0\.1:(\d+)/.exec(out)?.[1]);
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const gone = new Promise<void>((r) => child.once('exit', () => r()));
    child.kill('SIGKILL');
    await gone;
  };
  return { child, pid: child.pid!, port, printed, stop, output: () => out };
}

/** A stdin stand-in: write a word to mark a phase. */
export function markStream(): PassThrough & { mark(word: string): void } {
  const s = new PassThrough() as PassThrough & { mark(word: string): void };
  s.mark = (word) => s.write(`${word}\n`);
  return s;
}

/** A Writable that keeps what runWatch prints. */
export function sink(): PassThrough & { text(): string } {
  const s = new PassThrough() as PassThrough & { text(): string };
  let t = '';
  s.on('data', (d: Buffer) => (t += d.toString()));
  s.text = () => t;
  return s;
}
