// `npm run bench:locust`: what the bots cost, per 1 000 players at the scenario's message rate, side by side
// in one run: simload's own bots (`simload run`, the bot threads inside simload's process) and a Locust swarm
// (1 master + 2 workers from `simload export locust`, against `simload serve --record`), one player per
// connection and, where the gate multiplexes (?mux=1), --mux-n players per connection.
// Each engine ramps to --players over 20 s and holds them --hold seconds; the CPU time (utime + stime from
// /proc/PID/stat, sampled every 250 ms) over the hold, taken from the run folder's phase events, is divided by
// players/1000 x hold seconds: the share of one core 1 000 players cost. The server's CPU is shown beside.
// Flags: --players N (1000) --hold S (30) --rate R (0.25) --mux-n N (500). The machine's 2 cores are shared
// by everything here (and by whatever else runs): compare the rows of one run, not runs of different days.

import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { locustMissing, startSwarm, within } from '../test/export/swarm.js';

function flag(name: string, dflt: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1]! : dflt;
}
const players = Number(flag('players', '1000'));
const holdS = Number(flag('hold', '30'));
const rate = Number(flag('rate', '0.25'));
const muxN = Number(flag('mux-n', '500'));
const BIN = fileURLToPath(new URL('../../bin/simload.js', import.meta.url));
const TICK = 100; // getconf CLK_TCK on Linux x86-64

/** CPU seconds a process has used (its threads; not its children), or null once it is gone. */
function cpuSeconds(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12])) / TICK;
  } catch {
    return null;
  }
}

/** Samples the CPU time of some pids every 250 ms, with the wall time. */
class CpuLog {
  private readonly rows: Array<{ wall: number; cpu: Map<number, number> }> = [];
  private readonly timer: NodeJS.Timeout;
  constructor(private readonly pids: () => number[]) {
    this.timer = setInterval(() => this.take(), 250);
    this.take();
  }
  private take(): void {
    const cpu = new Map<number, number>();
    for (const pid of this.pids()) {
      const c = cpuSeconds(pid);
      if (c !== null) cpu.set(pid, c);
    }
    this.rows.push({ wall: Date.now(), cpu });
  }
  stop(): void {
    clearInterval(this.timer);
  }
  /** CPU seconds `pid` used between two wall times (the samples nearest inside the window). */
  used(pid: number, from: number, to: number): number {
    const inside = this.rows.filter((r) => r.wall >= from && r.wall <= to && r.cpu.has(pid));
    if (inside.length < 2) throw new Error(`too few CPU samples of pid ${pid} in the window`);
    const a = inside[0]!;
    const b = inside.at(-1)!;
    // Scaled to the whole window: the samples are 250 ms apart at most from its ends.
    return ((b.cpu.get(pid)! - a.cpu.get(pid)!) * (to - from)) / (b.wall - a.wall);
  }
}

function scenario(name: string): string {
  return `name: ${name}
server:
  threads: 2
  state:
    objects: 4
    sizes: [{ size: 1KiB, weight: 1 }]
  logout_free_delay: 0s
variants:
  - name: glibc
    build: glibc
load:
  rate: ${rate}
  think_time: 1s
  bot_workers: 2
  phases:
    - ramp: { to: ${players}, over: 20s }
    - hold: ${holdS}s
record:
  interval: 1s
`;
}

interface RunFolder {
  hold: [number, number];
  valid: boolean;
  reasons: string[];
  serverPid: number;
}

function readRun(base: string): RunFolder {
  const [name] = readdirSync(base);
  const dir = join(base, name!);
  const events = readFileSync(join(dir, 'events.ndjson'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as { type: string; phaseIndex?: number; wall: number; pid?: number });
  const start = events.find((e) => e.type === 'phase' && e.phaseIndex === 1);
  const end =
    events.find((e) => e.type === 'phase' && e.phaseIndex === 2) ?? events.find((e) => e.type === 'variant-end');
  const run = JSON.parse(readFileSync(join(dir, 'run.json'), 'utf8')) as {
    validity?: { valid: boolean; reasons: string[] };
  };
  const serverPid = events.find((e) => e.type === 'variant-start')?.pid ?? 0;
  if (!start || !end) throw new Error(`${dir}: no hold in the events`);
  return {
    hold: [start.wall, end.wall],
    valid: run.validity?.valid ?? false,
    reasons: run.validity?.reasons ?? ['no validity recorded'],
    serverPid,
  };
}

interface Row {
  engine: string;
  botsCpu: number;
  serverCpu: number;
  holdS: number;
  valid: boolean;
  note: string;
}

async function simloadBots(dir: string): Promise<Row> {
  const file = join(dir, 'simload.yaml');
  await writeFile(file, scenario('bench-simload'));
  const out = join(dir, 'simload-runs');
  const child = spawn(process.execPath, [BIN, 'run', file, '--out', out, '--quiet'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let err = '';
  child.stderr.on('data', (d) => (err += String(d)));
  const serverPids = new Set<number>();
  // The server is simload's child; its pid is in the events once it started.
  const log = new CpuLog(() => {
    try {
      const [name] = readdirSync(out);
      const ev = readFileSync(join(out, name!, 'events.ndjson'), 'utf8');
      const m = /"type":"variant-start"[^}]*"pid":(\d+)/.exec(ev);
      if (m) serverPids.add(Number(m[1]));
    } catch {
      // not there yet
    }
    return [child.pid!, ...serverPids];
  });
  const code = await new Promise<number | null>((r) => child.once('exit', (c) => r(c)));
  log.stop();
  if (code !== 0 && code !== 4) throw new Error(`simload run exited ${code}: ${err}`);
  const f = readRun(out);
  const [a, b] = f.hold;
  return {
    engine: "simload's bots (run)",
    botsCpu: log.used(child.pid!, a, b),
    serverCpu: f.serverPid ? log.used(f.serverPid, a, b) : NaN,
    holdS: (b - a) / 1000,
    valid: f.valid,
    note: f.valid ? '' : f.reasons.join('; '),
  };
}

async function locust(dir: string, perConnection: number): Promise<Row> {
  const file = join(dir, `locust-${perConnection}.yaml`);
  await writeFile(file, scenario(`bench-locust-${perConnection}`));
  const py = join(dir, `locust_${perConnection}.py`);
  await new Promise<void>((resolve, reject) => {
    const c = spawn(
      process.execPath,
      [BIN, 'export', 'locust', file, '-o', py, '--players-per-connection', String(perConnection)],
      { stdio: 'ignore' },
    );
    c.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`export exited ${code}`))));
  });
  const out = join(dir, `locust-runs-${perConnection}`);
  const swarm = await startSwarm({
    scenario: file,
    locustfile: py,
    variant: 'glibc',
    outDir: out,
    cwd: dir,
    workers: 2,
  });
  const serverPid = Number(/pid (\d+)/.exec(swarm.serve.out())?.[1] ?? 0);
  const pids = [swarm.master.child.pid!, ...swarm.workers.map((w) => w.child.pid!)];
  const log = new CpuLog(() => [...pids, serverPid]);
  try {
    const code = await within(swarm.serve, (holdS + 120) * 1000);
    await within(swarm.master, 60_000);
    if (code !== 0 && code !== 4) throw new Error(`serve exited ${code}: ${swarm.serve.err()}`);
  } finally {
    log.stop();
    await swarm.stop();
  }
  const f = readRun(out);
  const [a, b] = f.hold;
  const botsCpu = pids.reduce((sum, pid) => sum + log.used(pid, a, b), 0);
  const master = log.used(pids[0]!, a, b);
  return {
    engine: perConnection === 1 ? 'Locust, a connection per player' : `Locust, ${perConnection} players per connection`,
    botsCpu,
    serverCpu: log.used(serverPid, a, b),
    holdS: (b - a) / 1000,
    valid: f.valid,
    note: `master ${master.toFixed(2)} s of it${f.valid ? '' : `; INVALID: ${f.reasons.join('; ')}`}`,
  };
}

async function main(): Promise<void> {
  const missing = locustMissing();
  if (missing) throw new Error(missing);
  const dir = await mkdtemp(join(tmpdir(), 'simload-bench-locust-'));
  console.log(
    `bench:locust: ${players} players held ${holdS} s at ${rate} msg/player/s; CPU over the hold (utime+stime); folders in ${dir}`,
  );
  const rows: Row[] = [await simloadBots(dir), await locust(dir, 1), await locust(dir, muxN)];
  const per = (cpu: number, r: Row) => cpu / ((players / 1000) * r.holdS);
  console.log('');
  console.log(
    `${'engine'.padEnd(34)} ${'hold'.padStart(6)} ${'bots CPU'.padStart(9)} ${'per 1000 players'.padStart(17)} ${'server CPU'.padStart(11)}  valid  note`,
  );
  for (const r of rows) {
    console.log(
      `${r.engine.padEnd(34)} ${`${r.holdS.toFixed(1)}s`.padStart(6)} ${`${r.botsCpu.toFixed(2)}s`.padStart(9)} ${`${(per(r.botsCpu, r) * 100).toFixed(1)}% core`.padStart(17)} ${`${r.serverCpu.toFixed(2)}s`.padStart(11)}  ${r.valid ? 'yes' : 'NO '}    ${r.note}`,
    );
  }
  const base = rows[0]!;
  for (const r of rows.slice(1))
    console.log(
      `${r.engine}: ${(per(r.botsCpu, r) / per(base.botsCpu, base)).toFixed(1)}x the CPU of simload's bots per player`,
    );
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
