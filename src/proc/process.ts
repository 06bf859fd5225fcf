// Synchronous facts about one process from /proc: its resident size now (VmRSS), when it started, what tells it
// from another process with the same pid, its CPU time. Read where an async read would come too late (a cgroup
// joined right after start). Never throw: a process that is gone reads as null.

import { readFileSync } from 'node:fs';
import { parseStatCpuMs } from './memory.js';

/** VmRSS from /proc/PID/status, bytes; null when the process is gone or the line is missing. */
export function readVmRss(pid: number): number | null {
  const m = /^VmRSS:\s+(\d+)\s+kB/m.exec(readText(`/proc/${pid}/status`));
  return m ? Number(m[1]) * 1024 : null;
}

/** Start of a process as wall-clock ms, from /proc/PID/stat starttime and /proc/uptime (btime is whole seconds). */
export function readStartWall(pid: number): number | null {
  const stat = readText(`/proc/${pid}/stat`);
  const now = Date.now();
  const uptime = Number(readText('/proc/uptime').split(' ')[0]);
  if (!stat || !Number.isFinite(uptime) || uptime <= 0) return null;
  // Fields after the command name (which may hold spaces) start at ") ": starttime is field 22 overall.
  const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(rest[19]);
  if (!Number.isFinite(ticks)) return null;
  return Math.round(now - uptime * 1000 + (ticks * 1000) / 100); // USER_HZ is 100 on Linux x86-64
}

/**
 * What tells this process from any other that had or will have its pid: the boot it runs in and its start time
 * (clock ticks since that boot). Null when the process is gone.
 */
export function readProcessIdentity(pid: number): string | null {
  const stat = readText(`/proc/${pid}/stat`);
  if (!stat) return null;
  const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // A zombie has exited: only its exit status is left to collect.
  if (rest[0] === 'Z' || rest[19] === undefined) return null;
  return `${readText('/proc/sys/kernel/random/boot_id').trim()}:${rest[19]}`;
}

/** CPU time of every thread of a process so far (utime + stime), ms; null when it is gone. */
export function readCpuMs(pid: number): number | null {
  return parseStatCpuMs(readText(`/proc/${pid}/stat`));
}

function readText(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}
