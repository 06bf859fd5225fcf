// What stopped a load step, from the CPU measured over it: the machine's cores (full with simload's own threads,
// or with other processes'), one saturated thread (the gate, a worker, a bot thread, the run engine's), or
// neither. Pure: every figure comes in, in cores, from /proc readings taken by the caller.

/** A thread at this share of a core or more cannot take more work, however the rest is spread. */
export const SATURATED_THREAD = 0.9;
/** The machine is full when its busy cores reach this share of its cores. */
export const FULL_MACHINE = 0.9;
/** Other processes are to blame for a full machine when they used this share of its cores or more. */
export const OTHERS_SHARE = 0.25;

export interface StepCpu {
  /** The machine's cores. */
  cores: number;
  /** Cores busy in tasks machine-wide (/proc/stat: user, nice, system). */
  busy: number;
  /** Cores in interrupts and steal (/proc/stat: irq, softirq, steal); on loopback mostly simload's own traffic. */
  interrupts: number;
  server: { gate: number; workers: number[]; other: number };
  /** The bench process: the run engine's main thread, each bot thread, the thread pool's file reads (the recorder), the rest. */
  bench: { main: number; bots: number[]; recorder: number; other: number };
  /** Mean 1-minute load average over the step. */
  load: number;
}

export type LimitKind = 'simload-cores' | 'others-cores' | 'thread' | 'none';

export interface CpuLimit {
  kind: LimitKind;
  /** Cores simload's processes used (server and bench). */
  simload: number;
  server: number;
  bots: number;
  recorder: number;
  /** Cores busy in tasks other than simload's: busy - simload, never below 0. */
  others: number;
  /** Threads at SATURATED_THREAD or more, busiest first. */
  saturated: { thread: string; cores: number }[];
  text: string;
}

const sum = (xs: number[]): number => xs.reduce((a, b) => a + b, 0);
const c2 = (x: number): string => x.toFixed(2);

export function cpuLimit(s: StepCpu): CpuLimit {
  const server = s.server.gate + sum(s.server.workers) + s.server.other;
  const bots = sum(s.bench.bots);
  const simload = server + s.bench.main + bots + s.bench.recorder + s.bench.other;
  const others = Math.max(0, s.busy - simload);
  const threads: { thread: string; cores: number }[] = [
    { thread: 'the server gate', cores: s.server.gate },
    ...s.server.workers.map((c, i) => ({ thread: `server worker ${i}`, cores: c })),
    { thread: "the bench's main thread (run engine)", cores: s.bench.main },
    ...s.bench.bots.map((c, i) => ({ thread: `bot thread ${i}`, cores: c })),
  ];
  const saturated = threads.filter((t) => t.cores >= SATURATED_THREAD).sort((a, b) => b.cores - a.cores);
  const ours =
    `simload used ${c2(simload)} (server ${c2(server)}: gate ${c2(s.server.gate)}, workers ${c2(sum(s.server.workers))}, ` +
    `helpers ${c2(s.server.other)}; bots ${c2(bots)}; run engine ${c2(s.bench.main)}; recorder ${c2(s.bench.recorder)}; ` +
    `other bench threads ${c2(s.bench.other)})`;
  const rest = `other processes ${c2(others)}, interrupts ${c2(s.interrupts)}; load average ${s.load.toFixed(1)}`;
  const sat = saturated.map((t) => `${t.thread} at ${c2(t.cores)} of a core`).join(', ');
  const full = s.busy + s.interrupts >= FULL_MACHINE * s.cores;
  let kind: LimitKind;
  let text: string;
  if (full && others >= OTHERS_SHARE * s.cores) {
    kind = 'others-cores';
    text = `other processes used ${c2(others)} of the ${s.cores} cores, which were full (${c2(s.busy + s.interrupts)} busy); ${ours}; ${rest}`;
  } else if (full) {
    kind = 'simload-cores';
    text = `the ${s.cores} cores are full (${c2(s.busy + s.interrupts)} busy): ${ours}; ${rest}`;
  } else if (saturated.length) {
    kind = 'thread';
    text = `saturated: ${sat}, with ${c2(s.cores - s.busy - s.interrupts)} cores idle; ${ours}; ${rest}`;
  } else {
    kind = 'none';
    text = `no thread and no core was saturated (${c2(s.busy + s.interrupts)} of ${s.cores} cores busy); ${ours}; ${rest}`;
  }
  if (full && saturated.length) text += `; saturated: ${sat}`;
  return { kind, simload, server, bots, recorder: s.bench.recorder, others, saturated, text };
}
