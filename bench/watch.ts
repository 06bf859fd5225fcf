// `npm run bench:watch`: what one `simload watch` sample costs a real skynet (cached build). Starts skynet with
// the test service (test/watch/skynet/watched.lua) and --services Lua services holding state, then runs each
// console command --reps times back to back and reports, per command: the round trip (median, p95) and the
// server's CPU time per command (from /proc/PID/schedstat, with the idle rate measured just before subtracted).
// Also the watcher-side cost of reading /proc/PID/smaps_rollup, and what a sample costs on disk with and
// without the per-service reads (a 10 s watch of each). Flags: --services N (200) --reps R (200)
// --gap-ms G (50, the pause between two commands) --churn N (0: services started and exited before, each a line
// of cmem's answer from then on).

import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { readProcMemory } from '../src/proc/memory.js';
import { SkynetConsole } from '../src/watch/console.js';
import { injectCommand, removeInjectFile, writeInjectFile } from '../src/watch/inject.js';
import { runWatch } from '../src/watch/run-watch.js';
import { skynetSources, startWatchedSkynet } from '../test/watch/helpers.js';

function flag(name: string, dflt: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1]! : dflt;
}
const services = Number(flag('services', '200'));
const reps = Number(flag('reps', '200'));
const gapMs = Number(flag('gap-ms', '50'));
const churn = Number(flag('churn', '0'));

/** ns the process has run on a CPU, summed over its threads (the process's own schedstat is its main thread). */
const cpuNs = (pid: number) =>
  readdirSync(`/proc/${pid}/task`).reduce((sum, tid) => {
    try {
      return sum + Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ')[0]);
    } catch {
      return sum; // a thread that just ended
    }
  }, 0);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const pct = (v: number[], p: number) => [...v].sort((a, b) => a - b)[Math.min(v.length - 1, Math.floor(p * v.length))]!;

async function main(): Promise<void> {
  if (!skynetSources) throw new Error('no skynet/jemalloc source (../shared/vendor or SKYNET_SRC)');
  const sk = await startWatchedSkynet({
    recipe: 'madv-free',
    conf: 'dirty_decay_ms:10000,muzzy_decay_ms:10000',
    env: { holders: services, churn, build_after_ms: 100, hold_ms: 3_600_000, strings: 2000 },
  });
  try {
    await sk.printed('SIMLOAD built', 120_000);
    await sleep(1000);
    const c = new SkynetConsole({ host: '127.0.0.1', port: sk.port });
    await c.command('jmem', 5000); // connect once, as a watch does
    const injectFile = writeInjectFile();
    const inject = injectCommand(injectFile);
    const idleWindow = 3000;
    const idle0 = cpuNs(sk.pid);
    await sleep(idleWindow);
    const idleNsPerMs = (cpuNs(sk.pid) - idle0) / idleWindow;
    console.log(
      `skynet pid ${sk.pid}, ${services} holder services (+8 of skynet's own), ${churn} started and exited, idle CPU ${(idleNsPerMs / 1e3).toFixed(2)} ms/s`,
    );
    for (const [label, cmd] of [
      ['jmem', 'jmem'],
      ['mem', 'mem 140'],
      ['list', 'list'],
      ['cmem', 'cmem'],
      ['inject (mallctls)', inject],
    ] as const) {
      const rtt: number[] = [];
      const cpu0 = cpuNs(sk.pid);
      const t0 = performance.now();
      for (let i = 0; i < reps; i++) {
        const a = await c.command(cmd, 5000);
        if (!a.ok) throw new Error(`${label}: ${a.lines.join(' | ')}`);
        rtt.push(a.ms);
        // A pause between commands, as between a watch's samples: back to back, Nagle on skynet's side and
        // delayed ACKs on ours add ~40 ms to every round trip, which a watch never sees.
        await sleep(gapMs);
      }
      const wall = performance.now() - t0;
      const cpu = (cpuNs(sk.pid) - cpu0 - idleNsPerMs * wall) / reps / 1e6;
      console.log(
        `${label.padEnd(18)} round trip median ${pct(rtt, 0.5).toFixed(2)} ms, p95 ${pct(rtt, 0.95).toFixed(2)} ms; server CPU ${cpu.toFixed(3)} ms per command`,
      );
    }
    const proc: number[] = [];
    for (let i = 0; i < reps; i++) {
      const t = performance.now();
      await readProcMemory(sk.pid);
      proc.push(performance.now() - t);
    }
    console.log(
      `${'/proc read'.padEnd(18)} median ${pct(proc, 0.5).toFixed(2)} ms, p95 ${pct(proc, 0.95).toFixed(2)} ms (in simload, not the server)`,
    );
    c.close();
    removeInjectFile(injectFile);
    await sampleBytes(sk.pid, sk.port);
  } finally {
    await sk.stop();
  }
}

/** What samples cost on disk: a short watch reading every service each sample, and one reading none. */
async function sampleBytes(pid: number, port: number): Promise<void> {
  for (const [label, memIntervalMs] of [
    ['with mem, cmem, list', 0],
    ['jmem only', null],
  ] as const) {
    const outDir = mkdtempSync(join(tmpdir(), 'simload-bench-watch-'));
    try {
      const out = new PassThrough().resume();
      const ctl = new AbortController();
      const running = runWatch({
        pid,
        cmd: null,
        name: 'bench',
        outDir,
        intervalMs: 500,
        durationMs: 10_000,
        console: { host: '127.0.0.1', port },
        inject: false,
        memIntervalMs,
        onlineCmd: null,
        expect: [],
        marks: null,
        out,
        signal: ctl.signal,
      });
      await running;
      const dir = join(outDir, readdirSync(outDir)[0]!);
      const lines = readFileSync(join(dir, 'samples.ndjson'), 'utf8')
        .split('\n')
        .filter((l) => l !== '');
      const bytes = lines.reduce((a, l) => a + l.length + 1, 0);
      console.log(
        `${`sample, ${label}`.padEnd(30)} ${Math.round(bytes / lines.length)} bytes on disk (${lines.length} samples, --skynet-top 10)`,
      );
    } finally {
      rmSync(outDir, { recursive: true, force: true });
    }
  }
}

await main();
