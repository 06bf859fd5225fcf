// npm run bench:capacity: how many players one server process holds on this machine with the multiplexed gate,
// at ramp.yaml's message rate (0.25 msg/player/s) with Lua agents (scenarios/agents/rpg.lua), and what the bots
// cost in CPU per 1 000 players.
//
// One real run (the run engine, real server, real bots on loopback): the online count climbs in steps, each
// held for a while; every step is judged from the run's own samples and latency:
//   held       the server's loaded count (logins run) stays >= 95% of the target through the hold
//   delivered  messages the server handled >= 95% of rate x loaded x seconds
//   latency    p99 of the hold's round trips under 1 s (a server that queues without end is not holding)
// The capacity is the largest step that passes all three. What stops it is printed from measurements: memory
// (Rss, MemAvailable), server CPU (from /proc/PID/stat) by thread (the gate, each worker: which one saturates),
// or delivery, with the load average seen. What stops it (analysis/cpu-limit.ts) compares the machine's busy cores
// (/proc/stat) with simload's own threads: the server's (gate, workers, helpers) and this process's (the run
// engine's main thread, the named bot threads, libuv's pool doing the recorder's /proc reads, V8's helpers); the
// difference is other processes'. The bots' CPU is the bot threads' (/proc/self/task/*/stat) per 1 000 online
// players per second; a first step run with one socket per player gives the plain figure side by side.
//
// Flags: --steps 5000,10000,... (default 5k..30k by 5k, then 40k) --hold 20s --ramp-rate 100 (players/s)
//        --variant madv-free --per-connection 1000 --plain 4000 (0 = skip the plain comparison)
// Stops early (as an interrupted run) when MemAvailable falls under 2 GiB, to leave the machine usable, or when
// the server falls behind for 20 s in a row (loaded count under 80% of the target, or under 70% of the messages
// due over 10 s): nothing later would hold.

import { readFileSync, readdirSync } from 'node:fs';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { availableParallelism } from 'node:os';
import { readThreads, statLineCpu } from '../src/proc/threads.js';
import { busyCores, readMachineCpu, type MachineCpu } from '../src/proc/machine-cpu.js';
import { cpuLimit, type CpuLimit, type StepCpu } from '../src/analysis/cpu-limit.js';
import { runScenario } from '../src/run/run.js';
import {
  splitClientThreads,
  splitServerThreads,
  type ClientThreadSplit,
  type ServerThreadSplit,
} from '../src/server/threads.js';
import { parseScenario } from '../src/scenario/load.js';
import type { Sample } from '../src/results/sample.js';
import type { LatencyFile, RunEvent } from '../src/results/layout.js';

function flag(name: string, dflt: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1]! : dflt;
}

const STEPS = flag('steps', '5000,10000,15000,20000,25000,30000,40000').split(',').map(Number);
const HOLD_S = Number(flag('hold', '20').replace(/s$/, ''));
const RAMP_RATE = Number(flag('ramp-rate', '100'));
const VARIANT = flag('variant', 'madv-free');
const PER_CONN = Number(flag('per-connection', '1000'));
const PLAIN = Number(flag('plain', '4000'));
const RATE = 0.25;
const MIN_AVAILABLE = 2 * 2 ** 30;

function scenarioText(steps: number[], perConn: number, name: string): string {
  const phases: string[] = [];
  let prev = 0;
  for (const n of steps) {
    phases.push(`    - ramp: { to: ${n}, over: ${Math.max(2, Math.ceil((n - prev) / RAMP_RATE))}s }`);
    phases.push(`    - hold: ${HOLD_S}s`);
    prev = n;
  }
  return `name: ${name}
server:
  threads: 8
  agent: per-player
  script: ${join(process.cwd(), 'scenarios', 'agents', 'rpg.lua')}
  logout_free_delay: 0s
variants:
  - name: ${VARIANT}
    build: ${VARIANT}
    malloc_conf: dirty_decay_ms:10000,muzzy_decay_ms:10000
load:
  rate: ${RATE}
  think_time: 1s
  bot_workers: 2
  players_per_connection: ${perConn}
  phases:
${phases.join('\n')}
record:
  interval: 1s
`;
}

/** CPU seconds of this process's threads by role (run engine, bots, the recorder's pool reads, helpers). */
function benchThreads(): ClientThreadSplit {
  return splitClientThreads(process.pid, readThreads('self'));
}

function memAvailable(): number {
  const m = /^MemAvailable:\s+(\d+) kB/m.exec(readFileSync('/proc/meminfo', 'utf8'));
  return m ? Number(m[1]) * 1024 : Infinity;
}

/** Child processes of this one (the server). */
function childPids(): number[] {
  const out: number[] = [];
  for (const tid of readdirSync('/proc/self/task')) {
    try {
      for (const p of readFileSync(`/proc/self/task/${tid}/children`, 'utf8').trim().split(/\s+/))
        if (p) out.push(Number(p));
    } catch {
      // gone
    }
  }
  return out;
}

interface Tick {
  wall: number;
  /** This process's CPU seconds by thread role. */
  bench: ClientThreadSplit;
  /** The machine's CPU times (/proc/stat), null where unreadable. */
  machine: MachineCpu | null;
  server: number;
  /** The server's CPU seconds by thread (gate, each worker, Node's helpers). */
  threads: ServerThreadSplit;
  available: number;
  /** 1-minute load average. */
  load: number;
}

function loadAverage(): number {
  return Number(readFileSync('/proc/loadavg', 'utf8').split(' ')[0]);
}

/** The server processes' threads by role, summed over the servers (a capacity run has one). */
function serverThreads(): ServerThreadSplit {
  const all: ServerThreadSplit = { gate: 0, workers: [], other: 0 };
  for (const pid of childPids()) {
    const s = splitServerThreads(pid, readThreads(pid));
    all.gate += s.gate;
    all.other += s.other;
    s.workers.forEach((w, i) => (all.workers[i] = (all.workers[i] ?? 0) + w));
  }
  return all;
}

/** Samples with server counters of the last `ms` of the run under `out` (its only folder). */
function recentSamples(out: string, ms: number): Sample[] {
  try {
    const run = readdirSync(out)[0];
    if (!run) return [];
    const xs = readFileSync(join(out, run, 'samples.ndjson'), 'utf8')
      .trimEnd()
      .split('\n')
      .slice(-Math.ceil(ms / 1000) - 2)
      .map((l) => JSON.parse(l) as Sample)
      .filter((x) => x.server);
    const end = xs.at(-1)?.wall ?? 0;
    return xs.filter((x) => x.wall >= end - ms);
  } catch {
    return [];
  }
}

async function measuredRun(
  text: string,
  label: string,
): Promise<{
  dir: string;
  ticks: Tick[];
  stoppedForMemory: boolean;
  stoppedBehind: string | null;
  /** When the bench stopped the run (ms since epoch), null when it ran to its end. */
  stoppedAt: number | null;
}> {
  const s = parseScenario(text, `${label}.yaml`);
  const out = await mkdtemp(join(tmpdir(), 'simload-capacity-'));
  const stop = new AbortController();
  const ticks: Tick[] = [];
  let stoppedForMemory = false;
  let stoppedBehind: string | null = null;
  let stoppedAt: number | null = null;
  const serverCpu = (): number => {
    let t = 0;
    for (const pid of childPids()) {
      try {
        t += statLineCpu(readFileSync(`/proc/${pid}/stat`, 'utf8'));
      } catch {
        // gone
      }
    }
    return t;
  };
  let behindSince: number | null = null;
  const timer = setInterval(() => {
    const available = memAvailable();
    const recent = recentSamples(out, 10_000);
    const last = recent.at(-1);
    const first = recent[0];
    let why: string | null = null;
    if (last && last.target > 1000 && (last.loaded ?? last.online) < 0.8 * last.target)
      why = `the server held ${last.loaded ?? last.online} of ${last.target} players`;
    else if (
      last &&
      first &&
      last.wall - first.wall >= 5000 &&
      last.server &&
      first.server &&
      (first.loaded ?? 0) > 1000
    ) {
      const expected = (RATE * (first.loaded ?? first.online) * (last.wall - first.wall)) / 1000;
      const got = last.server.messages - first.server.messages;
      if (got < 0.7 * expected) why = `the server handled ${Math.round(got)} of ${Math.round(expected)} messages due`;
    }
    if (why) behindSince ??= Date.now();
    else behindSince = null;
    if (behindSince !== null && Date.now() - behindSince > 20_000 && !stop.signal.aborted) {
      stoppedBehind = `${why} (over 10 s), for 20 s in a row`;
      stoppedAt = Date.now();
      process.stderr.write(`capacity: ${stoppedBehind}: stopping the run\n`);
      stop.abort();
    }
    ticks.push({
      wall: Date.now(),
      bench: benchThreads(),
      machine: readMachineCpu(),
      server: serverCpu(),
      threads: serverThreads(),
      available,
      load: loadAverage(),
    });
    if (available < MIN_AVAILABLE && !stop.signal.aborted) {
      stoppedForMemory = true;
      process.stderr.write(`capacity: MemAvailable ${(available / 2 ** 30).toFixed(1)} GiB: stopping the run\n`);
      stop.abort();
    }
  }, 1000);
  try {
    const r = await runScenario(s, text, { outDir: out, quiet: true, signal: stop.signal, out: process.stderr });
    return { dir: r.dir, ticks, stoppedForMemory, stoppedBehind, stoppedAt };
  } catch (err) {
    const dir = (err as { dir?: string }).dir;
    if (!dir) throw err;
    process.stderr.write(
      `capacity: the run failed (${(err as Error).message.split('\n')[0]}); judging what was recorded\n`,
    );
    return { dir, ticks, stoppedForMemory, stoppedBehind, stoppedAt };
  } finally {
    clearInterval(timer);
  }
}

interface StepResult {
  target: number;
  seconds: number;
  onlineMin: number;
  loadedMin: number;
  delivered: number;
  expected: number;
  p99ms: number | null;
  errors: number;
  rssMax: number;
  serverCores: number;
  botCores: number;
  botMsPer1000: number;
  mainMsPer1000: number;
  /** This process's main thread (the run engine and recorder). */
  mainCores: number;
  availableMin: number;
  /** Cores of the server's gate thread, its busiest worker, all its workers. */
  gateCores: number;
  busiestWorkerCores: number;
  workersCores: number;
  /** Mean 1-minute load average over the hold. */
  load: number;
  /** What the CPU readings over the hold say limits it. */
  limit: CpuLimit;
  /** The same over the ramp before the hold (where a backlog the hold catches up was built), when there was one. */
  rampLimit: CpuLimit | null;
  pass: boolean;
  why: string[];
}

function between<T extends { wall: number }>(xs: T[], a: number, b: number): T[] {
  return xs.filter((x) => x.wall >= a && x.wall <= b);
}

/** The CPU figures (cores) over a run of ticks: the machine's, the server's threads', this process's threads'. */
function cpuOver(ts: Tick[]): { dt: number; cpu: StepCpu } {
  const dt = ts.length >= 2 ? (ts.at(-1)!.wall - ts[0]!.wall) / 1000 : 0;
  const rate = (a: number | undefined, b: number | undefined): number =>
    dt > 0 && a !== undefined && b !== undefined ? (b - a) / dt : 0;
  const b0 = ts[0]?.bench;
  const b1 = ts.at(-1)?.bench;
  const m0 = ts[0]?.machine;
  const m1 = ts.at(-1)?.machine;
  const machine = m0 && m1 ? busyCores(m0, m1, dt) : { tasks: 0, interrupts: 0 };
  const t0 = ts[0]?.threads;
  const t1 = ts.at(-1)?.threads;
  const gate = rate(t0?.gate, t1?.gate);
  const workers = t1 ? t1.workers.map((w, k) => rate(t0?.workers[k] ?? 0, w)) : [];
  const server = rate(ts[0]?.server, ts.at(-1)?.server);
  return {
    dt,
    cpu: {
      cores: availableParallelism(),
      busy: machine.tasks,
      interrupts: machine.interrupts,
      server: { gate, workers, other: Math.max(0, server - gate - workers.reduce((a, x) => a + x, 0)) },
      bench: {
        main: rate(b0?.main, b1?.main),
        bots: b1 ? b1.bots.map((x, k) => rate(b0?.bots[k] ?? 0, x)) : [],
        recorder: rate(b0?.pool, b1?.pool),
        other: rate(b0?.other, b1?.other),
      },
      load: ts.length ? ts.reduce((a, t) => a + t.load, 0) / ts.length : loadAverage(),
    },
  };
}

async function judge(dir: string, ticks: Tick[], variant: string): Promise<StepResult[]> {
  const samples = (await readFile(join(dir, 'samples.ndjson'), 'utf8'))
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l) as Sample)
    .filter((x) => x.variant === variant);
  const events = (await readFile(join(dir, 'events.ndjson'), 'utf8'))
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l) as RunEvent);
  let latency: LatencyFile | null = null;
  try {
    latency = JSON.parse(await readFile(join(dir, 'latency.json'), 'utf8')) as LatencyFile;
  } catch {
    latency = null;
  }
  const phases = events.filter(
    (e): e is Extract<RunEvent, { type: 'phase' }> => e.type === 'phase' && e.variant === variant,
  );
  const out: StepResult[] = [];
  for (let i = 0; i < phases.length - 1; i++) {
    const p = phases[i]!;
    if (p.phase !== 'hold') continue;
    const end = phases[i + 1]!.wall;
    // Judge the hold after its first 2 s (logins queued at the ramp's end may still be running).
    const from = p.wall + 2000;
    const xs = between(samples, from, end);
    if (xs.length < 3) continue;
    const before = phases[i - 1];
    const rampTicks = before?.phase === 'ramp' ? between(ticks, before.wall, p.wall) : [];
    const first = xs[0]!;
    const last = xs.at(-1)!;
    const seconds = (last.wall - first.wall) / 1000;
    // Messages from the first and last samples that have the server's counters (a stats call that timed out has none).
    const counted = xs.filter((x) => x.server);
    const delivered = counted.length >= 2 ? counted.at(-1)!.server!.messages - counted[0]!.server!.messages : 0;
    let expected = 0;
    for (let k = 1; k < xs.length; k++)
      expected += (RATE * (xs[k - 1]!.loaded ?? xs[k - 1]!.online) * (xs[k]!.wall - xs[k - 1]!.wall)) / 1000;
    const ts = between(ticks, from, end);
    const { dt, cpu: stepCpu } = cpuOver(ts);
    const serverCores = dt > 0 ? (ts.at(-1)!.server - ts[0]!.server) / dt : 0;
    const gateCores = stepCpu.server.gate;
    const workerCores = stepCpu.server.workers;
    const botCores = stepCpu.bench.bots.reduce((a, x) => a + x, 0);
    const mainCores = stepCpu.bench.main;
    const onlineMean = xs.reduce((a, x) => a + x.online, 0) / xs.length;
    const lat = latency?.variants[variant]?.[`${p.phaseIndex}:hold`];
    const target = p.target;
    const loadedMin = Math.min(...xs.map((x) => x.loaded ?? x.online));
    const p99ms = lat ? lat.p99 / 1000 : null;
    const why: string[] = [];
    if (loadedMin < 0.95 * target) why.push(`held ${loadedMin} of ${target} players (logins not run)`);
    if (expected > 0 && delivered < 0.95 * expected)
      why.push(
        `delivered ${Math.round(delivered)} of ${Math.round(expected)} messages (${((100 * delivered) / expected).toFixed(0)}%)`,
      );
    if (p99ms === null || p99ms > 1000) why.push(`p99 ${p99ms === null ? 'unknown' : `${p99ms.toFixed(0)} ms`}`);
    out.push({
      target,
      seconds,
      onlineMin: Math.min(...xs.map((x) => x.online)),
      loadedMin,
      delivered,
      expected,
      p99ms,
      errors: lat?.errors ?? 0,
      rssMax: Math.max(...xs.map((x) => x.proc.rss)),
      serverCores,
      botCores,
      botMsPer1000: onlineMean > 0 ? (botCores * 1000) / (onlineMean / 1000) : 0,
      mainMsPer1000: onlineMean > 0 ? (mainCores * 1000) / (onlineMean / 1000) : 0,
      mainCores,
      availableMin: Math.min(...ts.map((t) => t.available)),
      gateCores,
      busiestWorkerCores: workerCores.length ? Math.max(...workerCores) : 0,
      workersCores: workerCores.reduce((a, b) => a + b, 0),
      load: stepCpu.load,
      limit: cpuLimit(stepCpu),
      rampLimit: rampTicks.length >= 2 ? cpuLimit(cpuOver(rampTicks).cpu) : null,
      pass: why.length === 0,
      why,
    });
  }
  return out;
}

function table(rows: StepResult[]): string {
  const gib = (b: number) => `${(b / 2 ** 30).toFixed(2)} GiB`;
  const lines = [
    'target   loaded(min)  delivered/expected   p99      Rss(max)   server CPU  gate   workers (busiest)  bot CPU (ms/s per 1000)  run engine (ms/s per 1000)  recorder  others  MemAvailable(min)  load avg  result',
  ];
  for (const r of rows) {
    lines.push(
      [
        String(r.target).padEnd(8),
        String(r.loadedMin).padEnd(12),
        `${Math.round(r.delivered)}/${Math.round(r.expected)} (${r.expected > 0 ? ((100 * r.delivered) / r.expected).toFixed(1) : '-'}%)`.padEnd(
          20,
        ),
        (r.p99ms === null ? '-' : `${r.p99ms.toFixed(1)}ms`).padEnd(8),
        gib(r.rssMax).padEnd(10),
        `${r.serverCores.toFixed(2)} cores`.padEnd(11),
        r.gateCores.toFixed(2).padEnd(6),
        `${r.workersCores.toFixed(2)} (${r.busiestWorkerCores.toFixed(2)})`.padEnd(18),
        `${r.botCores.toFixed(2)} cores (${r.botMsPer1000.toFixed(1)})`.padEnd(24),
        `${r.mainMsPer1000.toFixed(1)}`.padEnd(27),
        r.limit.recorder.toFixed(2).padEnd(9),
        r.limit.others.toFixed(2).padEnd(7),
        gib(r.availableMin).padEnd(18),
        r.load.toFixed(1).padEnd(9),
        r.pass ? 'holds' : `FAILS: ${r.why.join('; ')}`,
      ].join(' '),
    );
  }
  return lines.join('\n') + '\n';
}

const started = Date.now();
process.stdout.write(
  `capacity: Lua agents (rpg.lua), ${VARIANT}, ${RATE} msg/player/s, 8 server threads, 2 bot workers; holds of ${HOLD_S} s; ` +
    `ramps at ${RAMP_RATE} players/s; load average now ${readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')}\n`,
);
let plain: StepResult | null = null;
let muxSmall: StepResult | null = null;
if (PLAIN > 0) {
  // Side by side at a count both can carry: one socket per player, then multiplexed.
  const a = await measuredRun(scenarioText([PLAIN], 1, 'capacity-plain'), 'capacity-plain');
  plain = (await judge(a.dir, a.ticks, VARIANT))[0] ?? null;
  const b = await measuredRun(scenarioText([PLAIN], PER_CONN, 'capacity-mux-small'), 'capacity-mux-small');
  muxSmall = (await judge(b.dir, b.ticks, VARIANT))[0] ?? null;
  process.stdout.write(`\n${PLAIN} players, one socket each vs ${PER_CONN} per connection:\n`);
  process.stdout.write(table([plain, muxSmall].filter((x): x is StepResult => x !== null)));
  if (plain && muxSmall && muxSmall.botMsPer1000 > 0) {
    process.stdout.write(
      `bot CPU per 1000 players, plain / multiplexed: ${(plain.botMsPer1000 / muxSmall.botMsPer1000).toFixed(2)}x\n`,
    );
  }
}
const run = await measuredRun(scenarioText(STEPS, PER_CONN, 'capacity-steps'), 'capacity-steps');
const steps = await judge(run.dir, run.ticks, VARIANT);
process.stdout.write(`\nsteps, ${PER_CONN} players per connection (run folder ${run.dir}):\n`);
process.stdout.write(table(steps));
const held = steps.filter((r) => r.pass).map((r) => r.target);
const best = held.length ? Math.max(...held) : 0;
const firstFail = steps.find((r) => !r.pass);
process.stdout.write(
  `\nmost players held: ${best}${firstFail ? `; at ${firstFail.target}: ${firstFail.why.join('; ')}` : ' (every step held)'}\n`,
);
if (firstFail) {
  process.stdout.write(`what stops it at ${firstFail.target}: ${firstFail.limit.text}\n`);
  if (firstFail.rampLimit)
    process.stdout.write(`CPU over the ramp to ${firstFail.target} before that hold: ${firstFail.rampLimit.text}\n`);
}
const lastHeld = steps.filter((r) => r.pass).at(-1);
if (lastHeld) process.stdout.write(`CPU at ${lastHeld.target} (held): ${lastHeld.limit.text}\n`);
if (run.stoppedBehind) {
  process.stdout.write(`stopped early: ${run.stoppedBehind}\n`);
  // The last 20 s before the stop: what the CPU said while the server fell behind (a ramp has no hold to judge).
  // Up to the stop, not after it: the server and the bots shut down after it.
  const end = run.stoppedAt ?? run.ticks.at(-1)?.wall ?? 0;
  const last = between(run.ticks, end - 20_000, end);
  if (last.length >= 2)
    process.stdout.write(`CPU over the last 20 s before the stop: ${cpuLimit(cpuOver(last).cpu).text}\n`);
}
if (run.stoppedForMemory)
  process.stdout.write(`stopped early: MemAvailable fell under ${MIN_AVAILABLE / 2 ** 30} GiB\n`);
process.stdout.write(
  `bench took ${((Date.now() - started) / 60000).toFixed(1)} min; load average at the end ${readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')}\n`,
);
