// The process to watch: an existing pid (checked up front: it exists, it is ours, /proc tells its memory) or a
// command simload starts. Errors say which pid and why.

import { spawn, type ChildProcess } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { SimloadError, UsageError } from '../errors.js';

export interface WatchTarget {
  pid: number;
  /** The process's command name (/proc/PID/comm). */
  comm: string;
  /** Set when simload started the process (--cmd). */
  child: ChildProcess | null;
}

/** Checks that `pid` can be watched; throws ERR_NO_PROC (exit 2) or ERR_PROC_ACCESS (exit 2). */
export async function checkPid(pid: number): Promise<WatchTarget> {
  if (!Number.isInteger(pid) || pid <= 0) throw new UsageError('ERR_NO_PROC', `--pid ${pid}: not a process id`);
  let status: string;
  try {
    status = await readFile(`/proc/${pid}/status`, 'utf8');
  } catch {
    throw new UsageError('ERR_NO_PROC', `--pid ${pid}: no such process (/proc/${pid} does not exist)`);
  }
  const uid = Number(/^Uid:\s+(\d+)/m.exec(status)?.[1] ?? -1);
  const state = /^State:\s+(\S)/m.exec(status)?.[1];
  if (state === 'Z')
    throw new UsageError('ERR_NO_PROC', `--pid ${pid}: the process has exited (a zombie not reaped yet)`);
  const me = process.getuid?.() ?? -1;
  try {
    await readFile(`/proc/${pid}/smaps_rollup`, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EACCES' || code === 'EPERM') {
      throw new UsageError(
        'ERR_PROC_ACCESS',
        `--pid ${pid}: belongs to another user (uid ${uid}, simload runs as uid ${me}); /proc/${pid}/smaps_rollup is not readable. ` +
          'Run simload as that user (or root).',
      );
    }
    if (code !== 'ENOENT')
      throw new SimloadError(
        'ERR_PROC_READ',
        `--pid ${pid}: cannot read /proc/${pid}/smaps_rollup: ${(err as Error).message}`,
      );
  }
  const comm = (await readFile(`/proc/${pid}/comm`, 'utf8').catch(() => '')).trim();
  return { pid, comm, child: null };
}

/**
 * Starts `command` with /bin/sh as `exec COMMAND`, so the pid watched is the command itself, not a shell.
 * Its output goes to simload's stderr (simload's stdout is for its own messages).
 */
export async function startCommand(command: string): Promise<WatchTarget> {
  if (command.trim() === '')
    throw new UsageError('ERR_USAGE', '--cmd: give the command to start, e.g. --cmd "./skynet config"');
  const child = spawn('/bin/sh', ['-c', `exec ${command}`], { stdio: ['ignore', 'inherit', 'inherit'] });
  await new Promise<void>((resolve, reject) => {
    child.once('spawn', () => resolve());
    child.once('error', (err) =>
      reject(new SimloadError('ERR_CMD', `--cmd ${command}: cannot start: ${err.message}`, undefined, { cause: err })),
    );
  });
  // A command that fails at once (not found, bad arguments) is bad input, not something to watch.
  const early = await Promise.race([
    new Promise<number | null>((r) => child.once('exit', (code) => r(code ?? -1))),
    new Promise<null>((r) => setTimeout(() => r(null), 200)),
  ]);
  if (early !== null) throw new UsageError('ERR_CMD', `--cmd ${command}: exited at once with code ${early}`);
  const t = await checkPid(child.pid!).catch((err: unknown) => {
    child.kill('SIGKILL');
    throw err;
  });
  return { ...t, child };
}
