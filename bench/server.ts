// `npm run bench:server`: round trips per second through gate -> service (on a worker, with the allocator
// work of a game message) -> reply, beside a bare ws echo server, measured alternately in one run with the
// same clients (a worker thread of this process; each server in its own process). Prints both and the ratio.
// Goal: at least 0.7 of raw echo. Per round it also prints CPU per thread over the measured window (the echo
// server's, the simulated server's gate, each worker and Node's helpers, the clients' thread) and per round trip. Flags: --connections N (200) --seconds S (3) --rounds R (4) --variant NAME
// --model lua|synthetic (lua: each player's agent is a Lua VM running scenarios/agents/rpg.lua, as the shipped
// scenarios do; every message is copied into the variant's heap and runs message(n); synthetic: profile + churn),
// --skynet (Lua agents with skynet's lualib on skynet's Lua, as the fidelity scenario runs them).

import { fork } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { defaultServerOptions } from '../src/server/defaults.js';
import { launchServer } from '../src/server/launch.js';
import { packageRoot } from '../src/native/paths.js';
import type { ServerOptions } from '../src/server/options.js';
import { SCRIPT_DEFAULTS, serviceLib, skynetLua } from '../src/scenario/script.js';
import { readThreads, threadDelta, type ThreadCpu } from '../src/proc/threads.js';
import { busyCores, readMachineCpu, type MachineCpu } from '../src/proc/machine-cpu.js';
import { BOT_THREAD_NAME, formatSplit, splitServerThreads } from '../src/server/threads.js';
import type { ClientsEvent, ClientsInit, ClientsResult } from './server-clients.js';

function flag(name: string, dflt: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1]! : dflt;
}
const connections = Number(flag('connections', '200'));
const seconds = Number(flag('seconds', '3'));
const rounds = Number(flag('rounds', '4'));
const variantName = flag('variant', 'madv-free');
const model = flag('model', 'lua');
if (model !== 'lua' && model !== 'synthetic') {
  process.stderr.write(`bench:server: --model must be lua or synthetic, got ${model}\n`);
  process.exit(2);
}

// --skynet: the agents as in bench/fidelity-ramp-3000.yaml: skynet's lualib in every VM (service_lib: skynet) on
// skynet's own Lua (lua: skynet); needs `npm run build:peers`.
const skynet = process.argv.includes('--skynet');

function benchOptions(): ServerOptions {
  const o: ServerOptions = { ...defaultServerOptions(), logoutFreeDelayMs: 0 };
  if (model === 'synthetic') return o;
  const path = join(packageRoot, 'scenarios', 'agents', 'rpg.lua');
  const script = { path, source: readFileSync(path, 'utf8'), ...SCRIPT_DEFAULTS };
  if (!skynet) return { ...o, agentModel: 'lua', script };
  const fail = (m: string): never => {
    process.stderr.write(`bench:server: --skynet: ${m}\n`);
    process.exit(2);
  };
  const lib = serviceLib('skynet', packageRoot, fail) ?? fail('no service library');
  const lua = skynetLua(fail) ?? fail('no skynet Lua');
  return { ...o, agentModel: 'lua', script: { ...script, serviceLib: lib, luaLib: lua.lib, luaName: lua.name } };
}

/** CPU seconds per thread over the clients' measured window: the server's (pid) and this process's (the clients). */
interface WindowCpu {
  server: ThreadCpu[];
  self: ThreadCpu[];
  /** Cores other processes kept busy over the window: the machine's busy cores (/proc/stat) less both processes'. */
  others: number;
}

function runClients(init: ClientsInit, serverPid: number): Promise<ClientsResult & { cpu: WindowCpu }> {
  return new Promise((resolve, reject) => {
    const w = new Worker(new URL('./server-clients.js', import.meta.url), { workerData: init });
    let opened: { server: ThreadCpu[]; self: ThreadCpu[]; machine: MachineCpu | null; at: number } | null = null;
    let cpu: WindowCpu = { server: [], self: [], others: 0 };
    w.on('message', (m: ClientsEvent) => {
      if (m.type === 'window' && m.open)
        opened = {
          server: readThreads(serverPid),
          self: readThreads('self'),
          machine: readMachineCpu(),
          at: performance.now(),
        };
      else if (m.type === 'window' && opened) {
        const server = threadDelta(opened.server, readThreads(serverPid));
        const self = threadDelta(opened.self, readThreads('self'));
        const machine = readMachineCpu();
        const secs = (performance.now() - opened.at) / 1000;
        const busy = opened.machine && machine ? busyCores(opened.machine, machine, secs).tasks : 0;
        const ours = (sum(server) + sum(self)) / secs;
        cpu = { server, self, others: Math.max(0, busy - ours) };
      } else if (m.type === 'result') resolve({ ...m, cpu });
    });
    w.once('error', reject);
  });
}

const sum = (xs: ThreadCpu[]): number => xs.reduce((a, t) => a + t.cpu, 0);
const botsCpu = (cpu: WindowCpu): number => sum(cpu.self.filter((t) => t.name === BOT_THREAD_NAME));

interface Round {
  rate: number;
  errors: number;
  /** Server process CPU per round trip, us. */
  usPerRt: number;
  /** Clients' thread CPU per round trip, us. */
  botUsPerRt: number;
  /** Cores other processes used over the window. */
  others: number;
  line: string;
  gateUs?: number;
  workersUs?: number;
}

function cpuLine(
  what: string,
  threads: string,
  cores: number,
  usPerRt: number,
  botCores: number,
  botUs: number,
  others: number,
): string {
  return `      ${what.padEnd(8)} ${cores.toFixed(2)} cores (${threads}), ${usPerRt.toFixed(1)} us per round trip; clients ${botCores.toFixed(2)} cores, ${botUs.toFixed(1)} us; other processes ${others.toFixed(2)} cores\n`;
}

async function echoRound(round: number): Promise<Round> {
  const child = fork(fileURLToPath(new URL('./server-echo.js', import.meta.url)), [], { stdio: 'inherit' });
  try {
    const port = await new Promise<number>((resolve) =>
      child.once('message', (m: { port: number }) => resolve(m.port)),
    );
    const r = await runClients(
      {
        url: `ws://127.0.0.1:${port}`,
        connections,
        warmupMs: 1000,
        measureMs: seconds * 1000,
        login: false,
        prefix: `e${round}`,
      },
      child.pid!,
    );
    const s = r.ms / 1000;
    const main = sum(r.cpu.server.filter((t) => t.tid === child.pid));
    const total = sum(r.cpu.server);
    const bots = botsCpu(r.cpu);
    const usPerRt = (total / r.roundTrips) * 1e6;
    const botUsPerRt = (bots / r.roundTrips) * 1e6;
    return {
      rate: (r.roundTrips / r.ms) * 1000,
      errors: r.errors,
      usPerRt,
      botUsPerRt,
      others: r.cpu.others,
      line: cpuLine(
        'echo',
        `main ${(main / s).toFixed(2)}, other ${((total - main) / s).toFixed(2)}`,
        total / s,
        usPerRt,
        bots / s,
        botUsPerRt,
        r.cpu.others,
      ),
    };
  } finally {
    child.kill('SIGTERM');
  }
}

async function serverRound(round: number): Promise<Round> {
  const h = await launchServer({ options: benchOptions(), variant: { name: variantName, build: variantName } });
  try {
    const r = await runClients(
      { url: h.url, connections, warmupMs: 1000, measureMs: seconds * 1000, login: true, prefix: `s${round}` },
      h.pid,
    );
    const st = await h.stats();
    const s = r.ms / 1000;
    const split = splitServerThreads(h.pid, r.cpu.server);
    const f = formatSplit(split, s);
    const total = sum(r.cpu.server);
    const bots = botsCpu(r.cpu);
    const per = (x: number): number => (x / r.roundTrips) * 1e6;
    return {
      rate: (r.roundTrips / r.ms) * 1000,
      errors: r.errors + st.counters.errors,
      usPerRt: per(total),
      botUsPerRt: per(bots),
      others: r.cpu.others,
      gateUs: per(split.gate),
      workersUs: per(split.workers.reduce((a, b) => a + b, 0)),
      line: cpuLine(
        'simload',
        `${f.text}; busiest thread ${f.busiest} ${f.busiestCores.toFixed(2)}`,
        total / s,
        per(total),
        bots / s,
        per(bots),
        r.cpu.others,
      ),
    };
  } finally {
    await h.stop();
  }
}

const fmt = (n: number): string => Math.round(n).toLocaleString('en-US').padStart(9);
const echo: number[] = [];
const sim: number[] = [];
const echoRounds: Round[] = [];
const simRounds: Round[] = [];
let errors = 0;
process.stdout.write(
  `bench:server  ${connections} connections, ${rounds} rounds of ${seconds}s each, variant ${variantName}, ${model === 'lua' ? `Lua agents (rpg.lua${skynet ? ", skynet lualib on skynet's Lua" : ''})` : 'synthetic agents'}, 1 request in flight per connection\n`,
);
try {
  for (let round = 0; round < rounds; round++) {
    const e = await echoRound(round);
    echo.push(e.rate);
    echoRounds.push(e);
    const s = await serverRound(round);
    sim.push(s.rate);
    simRounds.push(s);
    errors += s.errors;
    process.stdout.write(
      `  round ${round + 1}: raw echo ${fmt(echo[round]!)} rt/s   simload gate->service->reply ${fmt(sim[round]!)} rt/s   ratio ${(sim[round]! / echo[round]!).toFixed(2)}\n`,
    );
    process.stdout.write(e.line + s.line);
  }
} catch (err) {
  process.stderr.write(`bench:server failed: ${(err as Error).message}\n`);
  process.exit(3);
}
// The CPU is shared (2 cores, other jobs): rounds alternate so drift hits both, and medians damp outliers.
const median = (a: number[]): number => {
  const b = [...a].sort((x, y) => x - y);
  return b.length % 2 ? b[b.length >> 1]! : (b[b.length / 2 - 1]! + b[b.length / 2]!) / 2;
};
const ratio = median(sim) / median(echo);
const us = (rs: Round[], f: (r: Round) => number | undefined): string => median(rs.map((r) => f(r) ?? 0)).toFixed(1);
const med = (rs: Round[], f: (r: Round) => number): number => median(rs.map(f));
const cpuRatio =
  (med(echoRounds, (r) => r.botUsPerRt) + med(echoRounds, (r) => r.usPerRt)) /
  (med(simRounds, (r) => r.botUsPerRt) + med(simRounds, (r) => r.usPerRt));
const ratios = sim.map((v, i) => v / echo[i]!);
process.stdout.write(
  `raw ws echo (median):    ${fmt(median(echo))} round trips/s\n` +
    `simload server (median): ${fmt(median(sim))} round trips/s  (errors ${errors})\n` +
    `ratio server/echo:       ${ratio.toFixed(2)}  (per round ${ratios.map((r) => r.toFixed(2)).join(', ')}; goal >= 0.70: ${ratio >= 0.7 ? 'met' : 'NOT met'})\n` +
    `CPU per round trip (median, us): echo server ${us(echoRounds, (r) => r.usPerRt)}; simload server ${us(simRounds, (r) => r.usPerRt)} ` +
    `(gate ${us(simRounds, (r) => r.gateUs)}, workers ${us(simRounds, (r) => r.workersUs)}); clients ${us(echoRounds, (r) => r.botUsPerRt)} against echo, ${us(simRounds, (r) => r.botUsPerRt)} against simload\n` +
    `CPU ratio (clients + echo server) / (clients + simload server) per round trip: ${cpuRatio.toFixed(2)} ` +
    `(what the rate ratio comes to when the 2 cores are the limit; on a shared machine the rates follow each process's share instead)\n` +
    `other processes (median of all windows): ${median([...echoRounds, ...simRounds].map((r) => r.others)).toFixed(2)} cores ` +
    `(the machine's busy cores from /proc/stat less the bench's and the server's; near 0 on a quiet round)\n` +
    `load average ${readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')}\n`,
);
