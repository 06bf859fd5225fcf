// The whole machine's CPU time from /proc/stat's first line: how many cores were busy over a window, whoever
// used them, so a bench can tell its own use from other processes' on the same cores.

import { readFileSync } from 'node:fs';

/** USER_HZ: clock ticks per second in /proc/stat (100 on Linux). */
const TICK_HZ = 100;

export interface MachineCpu {
  /** Seconds of CPU spent in tasks (user, nice, system, guest included in user), summed over cores. */
  tasks: number;
  /** Seconds in hard and soft interrupts (on a loopback benchmark mostly the network's softirq), and steal. */
  interrupts: number;
  /** Seconds idle or waiting for I/O. */
  idle: number;
}

/** The aggregate `cpu` line of /proc/stat text, in seconds; null when there is none. Pure. */
export function parseProcStat(text: string): MachineCpu | null {
  const m = /^cpu\s+(.*)$/m.exec(text);
  if (!m) return null;
  const f = m[1]!.trim().split(/\s+/).map(Number);
  if (f.length < 4 || f.some((x) => !Number.isFinite(x))) return null;
  const [user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0, steal = 0] = f;
  return {
    tasks: (user + nice + system) / TICK_HZ,
    interrupts: (irq + softirq + steal) / TICK_HZ,
    idle: (idle + iowait) / TICK_HZ,
  };
}

/** The machine's CPU times now; null where /proc/stat cannot be read. */
export function readMachineCpu(): MachineCpu | null {
  try {
    return parseProcStat(readFileSync('/proc/stat', 'utf8'));
  } catch {
    return null;
  }
}

/** Cores busy over a window between two readings `seconds` apart: tasks and interrupts. */
export function busyCores(a: MachineCpu, b: MachineCpu, seconds: number): { tasks: number; interrupts: number } {
  if (seconds <= 0) return { tasks: 0, interrupts: 0 };
  return { tasks: (b.tasks - a.tasks) / seconds, interrupts: (b.interrupts - a.interrupts) / seconds };
}
