// The kernel's view of a process's memory: /proc/PID/smaps_rollup (Rss, LazyFree = pages freed with
// MADV_FREE that the kernel has not taken back yet) and VmHWM from /proc/PID/status. Values in bytes.
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
