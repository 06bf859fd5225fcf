// The kernel's view of a process's memory: /proc/PID/smaps_rollup (Rss, LazyFree = pages freed with
// MADV_FREE that the kernel has not taken back yet) and VmHWM from /proc/PID/status. Values in bytes.
// smaps_rollup walks the page tables (tens of ms of kernel time per read at several GiB); /proc/PID/status
// reads the kernel's counters (Rss, RssAnon) at a fixed cost, so readProcStatusMemory can fill the samples
// between two walks.
// The one /proc reader: recorder, probe, watch and the pressure shape all read through here.

import { readFile } from 'node:fs/promises';
import { SimloadError } from '../errors.js';

export interface ProcMemory {
  /** From /proc/PID/smaps_rollup, bytes. */
  rss: number;
  lazyFree: number;
  anonymous: number;
  anonHugePages: number;
  /** VmHWM from /proc/PID/status, bytes. */
  vmHWM: number;
  /**
   * CPU time of every thread so far (utime + stime from /proc/PID/stat), ms. Absent in samples recorded before
   * this field and in samples a reader without /proc/PID/stat wrote.
   */
  cpuMs?: number;
  /**
   * How old lazyFree and anonHugePages are, ms: set when they were carried from an earlier smaps_rollup read and
   * rss, anonymous and vmHWM come from /proc/PID/status. Absent when all were read together.
   */
  smapsAgeMs?: number;
}

const ROLLUP_FIELDS = {
  Rss: 'rss',
  LazyFree: 'lazyFree',
  Anonymous: 'anonymous',
  AnonHugePages: 'anonHugePages',
} as const;

export async function readProcMemory(pid: number): Promise<ProcMemory> {
  if (!Number.isInteger(pid) || pid <= 0) throw new SimloadError('ERR_NO_PROC', `not a process id: ${pid}`);
  const rollup = await readProcFile(pid, 'smaps_rollup').catch(async (err: unknown) => {
    // smaps_rollup exists since Linux 4.14; older kernels have only the per-mapping smaps, summed below.
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    if (await processExists(pid)) return readProcFile(pid, 'smaps');
    throw new SimloadError('ERR_NO_PROC', `process ${pid} is gone (/proc/${pid} does not exist)`, undefined, {
      cause: err,
    });
  });
  const status = await readProcFile(pid, 'status');
  const stat = await readProcFile(pid, 'stat').catch(() => '');
  const mem = parseSmaps(rollup);
  // A zombie (exited, not yet reaped) has an empty smaps_rollup: its memory is gone.
  if (mem.rss === 0 && !/^Rss:/m.test(rollup)) throw new SimloadError('ERR_NO_PROC', `process ${pid} has exited`);
  const hwm = /^VmHWM:\s+(\d+)\s+kB/m.exec(status);
  const cpuMs = parseStatCpuMs(stat);
  return { ...mem, vmHWM: hwm ? Number(hwm[1]) * 1024 : mem.rss, ...(cpuMs !== null ? { cpuMs } : {}) };
}

/**
 * Rss, anonymous and VmHWM from /proc/PID/status (RssAnon + RssFile + RssShmem is VmRSS), the CPU time from
 * /proc/PID/stat, and lazyFree and anonHugePages carried from `walked`, an earlier full read `ageMs` old.
 */
export async function readProcStatusMemory(pid: number, walked: ProcMemory, ageMs: number): Promise<ProcMemory> {
  if (!Number.isInteger(pid) || pid <= 0) throw new SimloadError('ERR_NO_PROC', `not a process id: ${pid}`);
  const status = await readProcFile(pid, 'status');
  const stat = await readProcFile(pid, 'stat').catch(() => '');
  const kb = (name: string): number | null => {
    const m = new RegExp(`^${name}:\\s+(\\d+)\\s+kB`, 'm').exec(status);
    return m ? Number(m[1]) * 1024 : null;
  };
  const rss = kb('VmRSS');
  // A zombie's status has no Vm lines: its memory is gone.
  if (rss === null) throw new SimloadError('ERR_NO_PROC', `process ${pid} has exited`);
  const cpuMs = parseStatCpuMs(stat);
  return {
    rss,
    lazyFree: walked.lazyFree,
    anonymous: kb('RssAnon') ?? walked.anonymous,
    anonHugePages: walked.anonHugePages,
    vmHWM: kb('VmHWM') ?? rss,
    ...(cpuMs !== null ? { cpuMs } : {}),
    smapsAgeMs: Math.max(0, Math.round(ageMs)),
  };
}

/** Clock ticks per second of /proc/PID/stat's times (USER_HZ: 100 on Linux x86-64 and arm64). */
const USER_HZ = 100;

/** utime + stime of a /proc/PID/stat line, ms; null when the line is not one. Pure. */
export function parseStatCpuMs(stat: string): number | null {
  // Fields after the command name (which may hold spaces and parentheses) start after the last ')':
  // state is field 3 overall, utime 14, stime 15.
  const close = stat.lastIndexOf(')');
  if (close < 0) return null;
  const rest = stat.slice(close + 2).split(' ');
  const utime = Number(rest[11]);
  const stime = Number(rest[12]);
  if (!Number.isFinite(utime) || !Number.isFinite(stime) || rest[11] === '' || rest[12] === '') return null;
  return ((utime + stime) * 1000) / USER_HZ;
}

/** Sums the kB fields of smaps or smaps_rollup text into bytes. Pure. */
export function parseSmaps(text: string): Omit<ProcMemory, 'vmHWM'> {
  const out = { rss: 0, lazyFree: 0, anonymous: 0, anonHugePages: 0 };
  const re = /^(\w+):\s+(\d+)\s+kB$/gm;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    const key = ROLLUP_FIELDS[m[1] as keyof typeof ROLLUP_FIELDS];
    if (key) out[key] += Number(m[2]) * 1024;
  }
  return out;
}

async function readProcFile(pid: number, name: string): Promise<string> {
  try {
    return await readFile(`/proc/${pid}/${name}`, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ESRCH') {
      if (name === 'smaps_rollup' && code === 'ENOENT') throw err; // caller decides: old kernel or gone
      throw new SimloadError('ERR_NO_PROC', `process ${pid} is gone (/proc/${pid}/${name}: ${code})`, undefined, {
        cause: err,
      });
    }
    throw new SimloadError('ERR_PROC_READ', `cannot read /proc/${pid}/${name}: ${(err as Error).message}`, undefined, {
      cause: err,
    });
  }
}

async function processExists(pid: number): Promise<boolean> {
  try {
    await readFile(`/proc/${pid}/stat`, 'utf8');
    return true;
  } catch {
    return false;
  }
}
