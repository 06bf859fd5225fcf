// Test helper (not a test): the processes on this machine as /proc lists them, for "nothing left behind" checks.
import { readdirSync, readFileSync } from 'node:fs';

export interface ProcEntry {
  pid: number;
  /** The command name (at most 15 characters). */
  comm: string;
  /** R, S, D, Z, ...: a zombie (Z) has exited and waits for its parent. */
  state: string;
  ppid: number;
  pgrp: number;
}

/** Every process that has not exited (zombies left out). */
export function liveProcesses(): ProcEntry[] {
  const out: ProcEntry[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${name}/stat`, 'utf8');
    } catch {
      continue; // gone meanwhile
    }
    // pid (comm) state ppid pgrp ...: comm may hold spaces and parentheses, so split after the last ')'.
    const [state = '', ppid, pgrp] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (state === 'Z') continue;
    const comm = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
    out.push({ pid: Number(name), comm, state, ppid: Number(ppid), pgrp: Number(pgrp) });
  }
  return out;
}
