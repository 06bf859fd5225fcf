// CPU time per thread of a process, from /proc/PID/task/TID/{comm,stat}: which thread is saturated, not only
// how much the process used. Threads are told apart by name (server/thread-name.ts names the server's).
// Never throws: a process or thread that is gone reads as absent.

import { readdirSync, readFileSync } from 'node:fs';

/** USER_HZ: clock ticks per second in /proc stat fields (100 on Linux). */
const TICK_HZ = 100;

export interface ThreadCpu {
  tid: number;
  name: string;
  /** utime + stime, seconds. */
  cpu: number;
  /** stime alone, seconds: time in the kernel on this thread's behalf (a thread that only reads files has little else). */
  system: number;
}

/** utime + stime of a /proc stat line, seconds (fields after the command name, which may hold spaces). */
export function statLineCpu(text: string): number {
  const f = text.slice(text.lastIndexOf(')') + 2).split(' ');
  return (Number(f[11]) + Number(f[12])) / TICK_HZ;
}

/** stime of a /proc stat line, seconds. */
export function statLineSystem(text: string): number {
  const f = text.slice(text.lastIndexOf(')') + 2).split(' ');
  return Number(f[12]) / TICK_HZ;
}

/** Every thread of `pid` now; empty when the process is gone. */
export function readThreads(pid: number | 'self'): ThreadCpu[] {
  let tids: string[];
  try {
    tids = readdirSync(`/proc/${pid}/task`);
  } catch {
    return [];
  }
  const out: ThreadCpu[] = [];
  for (const t of tids) {
    try {
      const stat = readFileSync(`/proc/${pid}/task/${t}/stat`, 'utf8');
      const name = readFileSync(`/proc/${pid}/task/${t}/comm`, 'utf8').trim();
      out.push({ tid: Number(t), name, cpu: statLineCpu(stat), system: statLineSystem(stat) });
    } catch {
      // the thread ended between the listing and the read
    }
  }
  return out;
}

/** CPU seconds each thread used between two readings (threads that started in between count from 0). */
export function threadDelta(before: ThreadCpu[], after: ThreadCpu[]): ThreadCpu[] {
  const was = new Map(before.map((t) => [t.tid, t]));
  return after.map((t) => ({
    ...t,
    cpu: t.cpu - (was.get(t.tid)?.cpu ?? 0),
    system: t.system - (was.get(t.tid)?.system ?? 0),
  }));
}
