// Real child processes for the cgroup tests. Nothing runs at import (node --test also loads this file).
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import type { RunEvent } from '../../src/results/layout.js';

/** A process that allocates and touches N MiB of live memory on `alloc N`, and answers `ok <VmRSS bytes>`. */
const HOG = `
const keep = [];
const rl = require('readline').createInterface({ input: process.stdin });
rl.on('line', (line) => {
  const [cmd, n] = line.split(' ');
  if (cmd === 'alloc') for (let i = 0; i < Number(n); i++) keep.push(Buffer.alloc(1 << 20, 1));
  const rss = /VmRSS:\\s+(\\d+)/.exec(require('fs').readFileSync('/proc/self/status', 'utf8'))[1] * 1024;
  process.stdout.write('ok ' + rss + '\\n');
});
process.stdout.write('ready\\n');
setInterval(() => {}, 1000);
`;

export interface Hog {
  child: ChildProcess;
  pid: number;
  /** Allocates n MiB more (n = 0 just reports); resolves with the process's Rss, or null if it died. */
  alloc(n: number): Promise<number | null>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  kill(): void;
}

export async function spawnHog(): Promise<Hog> {
  const child = spawn(process.execPath, ['-e', HOG], { stdio: ['pipe', 'pipe', 'inherit'] });
  const lines = createInterface({ input: child.stdout! });
  const queue: Array<(l: string | null) => void> = [];
  lines.on('line', (l) => queue.shift()?.(l));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => {
      for (const q of queue.splice(0)) q(null);
      resolve({ code, signal });
    }),
  );
  const next = () => new Promise<string | null>((r) => queue.push(r));
  const ready = await next();
  if (ready !== 'ready') throw new Error('hog did not start');
  return {
    child,
    pid: child.pid!,
    exited,
    async alloc(n) {
      const p = next();
      child.stdin!.write(`alloc ${n}\n`);
      const l = await p;
      return l === null ? null : Number(l.split(' ')[1]);
    },
    kill() {
      try {
        child.kill('SIGKILL');
      } catch {
        // gone
      }
    },
  };
}

/** Collects RunEvents like RunWriter.appendEvent would write them. */
export function eventSink(): { events: RunEvent[]; appendEvent(e: RunEvent): void } {
  const events: RunEvent[] = [];
  return { events, appendEvent: (e) => events.push(e) };
}

/** The memory cgroup path of a process, from /proc/PID/cgroup (v1 memory line, or v2 `0::`). */
export function memoryCgroupOf(pid: number): string | null {
  try {
    const lines = readFileSync(`/proc/${pid}/cgroup`, 'utf8').split('\n');
    const v1 = lines.map((l) => l.split(':')).find((f) => f[1]?.split(',').includes('memory'));
    return (v1 ?? lines.map((l) => l.split(':')).find((f) => f[0] === '0'))?.[2] ?? null;
  } catch {
    return null;
  }
}
