// Memory cgroups for pressure phases and `plan --verify`: cgroup v1 (memory.limit_in_bytes) or v2 (memory.max).
// Groups are made as children of the cgroup simload itself runs in, so the machine's own accounting of simload
// stays intact, and are named simload-<creator pid>-<name> so a later run can sweep groups a killed run left.
//
// Kernel facts this relies on (measured on Linux 6.18, cgroup v1):
// - pages stay charged to the group that was current when they were faulted in; since Linux 6.12 v1's
//   memory.move_charge_at_immigrate is gone (EINVAL), so a process must join its group before it allocates;
// - v1 refuses a limit below what reclaim can reach with EBUSY; v2 reclaims and then OOM-kills instead;
// - reclaim under a limit takes MADV_FREE (LazyFree) pages first, without swap.

import {
  existsSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  rmdirSync,
  statSync,
  writeFileSync,
  accessSync,
  constants,
} from 'node:fs';
import { join } from 'node:path';
import { SimloadError } from '../errors.js';

export type CgroupDetection = { available: true; version: 1 | 2; root: string } | { available: false; reason: string };

export interface DetectOptions {
  /** Parent folder for new groups; default SIMLOAD_CGROUP_ROOT, else the memory cgroup this process is in. */
  root?: string;
  /** Read instead of /proc/self/mounts and /proc/self/cgroup (kept configurable for other mount namespaces). */
  mountsFile?: string;
  cgroupFile?: string;
}

/** Environment variable that names the parent cgroup folder explicitly (a delegated subtree). */
export const CGROUP_ROOT_ENV = 'SIMLOAD_CGROUP_ROOT';
export const GROUP_PREFIX = 'simload-';

/** Where simload can make memory cgroups, or plainly why it cannot. Reads only; changes nothing. */
export function detectMemoryCgroup(o: DetectOptions = {}): CgroupDetection {
  const explicit = o.root ?? process.env[CGROUP_ROOT_ENV] ?? null;
  if (explicit !== null && explicit !== '') {
    const where = o.root !== undefined ? 'the cgroup root' : `${CGROUP_ROOT_ENV}=${explicit}`;
    if (!isDir(explicit)) return { available: false, reason: `${where}: no such cgroup folder` };
    return checkRoot(explicit, versionOf(explicit), where, isReadOnlyMount(explicit, o.mountsFile));
  }
  let mounts: string[];
  let own: string[];
  try {
    mounts = readFileSync(o.mountsFile ?? '/proc/self/mounts', 'utf8').split('\n');
    own = readFileSync(o.cgroupFile ?? '/proc/self/cgroup', 'utf8').split('\n');
  } catch (err) {
    return { available: false, reason: `cannot read the process's cgroups: ${(err as Error).message}` };
  }
  // v1 first: when the memory controller is bound to a v1 hierarchy it cannot also be in v2.
  for (const line of mounts) {
    const [, dir, fstype, opts] = line.split(' ');
    if (fstype !== 'cgroup' || !dir || !opts || !opts.split(',').includes('memory')) continue;
    const rel =
      own.map((l) => l.split(':')).find((f) => f.length >= 3 && f[1]!.split(',').includes('memory'))?.[2] ?? '/';
    const root = join(dir, rel);
    return checkRoot(root, 1, 'the cgroup v1 memory controller', opts.split(',').includes('ro'));
  }
  for (const line of mounts) {
    const [, dir, fstype, opts] = line.split(' ');
    if (fstype !== 'cgroup2' || !dir || !opts) continue;
    const rel = own.map((l) => l.split(':')).find((f) => f.length >= 3 && f[0] === '0' && f[1] === '')?.[2] ?? '/';
    const root = join(dir, rel);
    if (!readText(join(dir, 'cgroup.controllers'))?.split(/\s+/).includes('memory')) continue; // v2 without memory
    return checkRoot(root, 2, 'cgroup v2', opts.split(',').includes('ro'));
  }
  return {
    available: false,
    reason: 'no memory cgroup controller is mounted (neither cgroup v1 memory nor cgroup v2 with memory)',
  };
}

function versionOf(dir: string): 1 | 2 | null {
  if (existsSync(join(dir, 'memory.limit_in_bytes'))) return 1;
  if (existsSync(join(dir, 'cgroup.controllers'))) return 2;
  return null;
}

function checkRoot(root: string, version: 1 | 2 | null, where: string, readOnly: boolean): CgroupDetection {
  if (version === null) return { available: false, reason: `${where}: ${root} is not a memory cgroup folder` };
  if (!isDir(root)) return { available: false, reason: `${where}: ${root} does not exist` };
  if (readOnly) return { available: false, reason: `${where}: ${root} is mounted read-only` };
  try {
    accessSync(root, constants.W_OK);
  } catch {
    const who = process.getuid?.() === 0 ? '' : ' (simload is not root: run it as root or in a delegated cgroup)';
    return { available: false, reason: `${where}: ${root} is not writable${who}` };
  }
  if (version === 2) {
    const sub = readText(join(root, 'cgroup.subtree_control')) ?? '';
    if (!sub.split(/\s+/).includes('memory')) {
      return {
        available: false,
        reason:
          `cgroup v2: the memory controller is not enabled for children of ${root} (cgroup.subtree_control); ` +
          `run simload in a delegated cgroup (e.g. systemd-run --scope -p Delegate=yes) or set ${CGROUP_ROOT_ENV}`,
      };
    }
  } else if (!existsSync(join(root, 'cgroup.procs'))) {
    return { available: false, reason: `${where}: ${root} has no cgroup.procs` };
  }
  return { available: true, version, root };
}

function isReadOnlyMount(dir: string, mountsFile?: string): boolean {
  const lines = readText(mountsFile ?? '/proc/self/mounts')?.split('\n') ?? [];
  let best = '';
  let ro = false;
  for (const line of lines) {
    const [, mdir, , opts] = line.split(' ');
    if (!mdir || !opts) continue;
    if ((dir === mdir || dir.startsWith(mdir.endsWith('/') ? mdir : mdir + '/')) && mdir.length > best.length) {
      best = mdir;
      ro = opts.split(',').includes('ro');
    }
  }
  return ro;
}

/** The limit v1 reports when there is none (PAGE_COUNTER_MAX pages, rounded): anything this large is "none". */
const V1_UNLIMITED = 2 ** 60;

/**
 * Groups this process made and has not removed yet: removed synchronously on exit and on signals. Process-wide
 * on purpose (whatever run made them, none may outlive simload); with handlersInstalled, the only module
 * state of cgroup/.
 */
const live = new Set<MemoryCgroup>();
let handlersInstalled = false;

export interface CgroupUsage {
  /** Bytes charged to the group now. */
  usage: number;
  /** Limit in force, bytes; null when unlimited. */
  limit: number | null;
  /** Processes the kernel's OOM killer killed in this group so far. */
  oomKills: number;
}

export class MemoryCgroup {
  readonly name: string;
  readonly path: string;
  readonly version: 1 | 2;
  /** The parent folder: tasks go back there before the group is removed. */
  readonly parent: string;
  private removed = false;

  private constructor(name: string, path: string, version: 1 | 2, parent: string) {
    this.name = name;
    this.path = path;
    this.version = version;
    this.parent = parent;
  }

  /** Makes simload-<pid>-<name> under the detected root. Throws SimloadError ERR_CGROUP_UNAVAILABLE with the reason. */
  static async create(name: string, o: DetectOptions = {}): Promise<MemoryCgroup> {
    const d = detectMemoryCgroup(o);
    if (!d.available) throw new SimloadError('ERR_CGROUP_UNAVAILABLE', `memory cgroups cannot be used: ${d.reason}`);
    const base = `${GROUP_PREFIX}${process.pid}-${name.replace(/[^A-Za-z0-9_.-]+/g, '_').slice(0, 60) || 'group'}`;
    for (let n = 1; n < 1000; n++) {
      const dirName = n === 1 ? base : `${base}-${n}`;
      const path = join(d.root, dirName);
      try {
        mkdirSync(path);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'EEXIST') continue;
        throw new SimloadError(
          'ERR_CGROUP_CREATE',
          `cannot create the memory cgroup ${path}: ${(err as Error).message}`,
          undefined,
          { cause: err },
        );
      }
      const g = new MemoryCgroup(dirName, path, d.version, d.root);
      live.add(g);
      installExitHandlers();
      return g;
    }
    throw new SimloadError('ERR_CGROUP_CREATE', `cannot create a memory cgroup named ${base} under ${d.root}`);
  }

  /** Moves the whole process (all its threads) into the group. New pages are charged here, old ones stay put. */
  async addPid(pid: number): Promise<void> {
    try {
      writeFileSync(join(this.path, 'cgroup.procs'), `${pid}\n`);
    } catch (err) {
      const e = err as NodeJS.ErrnoException;
      const why = e.code === 'ESRCH' ? `process ${pid} does not exist` : e.message;
      throw new SimloadError('ERR_CGROUP_ADD', `cannot move process ${pid} into ${this.path}: ${why}`, undefined, {
        cause: err,
      });
    }
  }

  /** Pids in the group now. */
  pids(): number[] {
    const text = readText(join(this.path, 'cgroup.procs'));
    if (text === null) return [];
    return text
      .split('\n')
      .filter((s) => s !== '')
      .map(Number);
  }

  /**
   * Sets (bytes) or removes (null) the hard limit. Under cgroup v1 a limit the kernel cannot reclaim down to is
   * refused: that throws SimloadError ERR_CGROUP_BUSY, and the limit in force is unchanged.
   */
  async setLimit(bytes: number | null): Promise<void> {
    const file = join(this.path, this.version === 1 ? 'memory.limit_in_bytes' : 'memory.max');
    const value = bytes === null ? (this.version === 1 ? '-1' : 'max') : String(Math.max(0, Math.floor(bytes)));
    try {
      writeFileSync(file, value);
    } catch (err) {
      const e = err as NodeJS.ErrnoException;
      if (e.code === 'EBUSY') {
        throw new SimloadError(
          'ERR_CGROUP_BUSY',
          `the kernel could not reclaim ${this.name} below ${value} bytes (in use: ${this.readUsage().usage})`,
          undefined,
          { cause: err },
        );
      }
      throw new SimloadError('ERR_CGROUP_LIMIT', `cannot set ${file} to ${value}: ${e.message}`, undefined, {
        cause: err,
      });
    }
  }

  async usage(): Promise<CgroupUsage> {
    return this.readUsage();
  }

  /** Synchronous form of usage(), for polling and error messages. */
  readUsage(): CgroupUsage {
    if (this.version === 1) {
      const usage = Number(readText(join(this.path, 'memory.usage_in_bytes')) ?? 0);
      const raw = Number(readText(join(this.path, 'memory.limit_in_bytes')) ?? Infinity);
      const oom = /^oom_kill (\d+)$/m.exec(readText(join(this.path, 'memory.oom_control')) ?? '');
      return { usage, limit: raw >= V1_UNLIMITED ? null : raw, oomKills: oom ? Number(oom[1]) : 0 };
    }
    const usage = Number(readText(join(this.path, 'memory.current')) ?? 0);
    const max = readText(join(this.path, 'memory.max')) ?? 'max';
    const oom = /^oom_kill (\d+)$/m.exec(readText(join(this.path, 'memory.events')) ?? '');
    return { usage, limit: max === 'max' ? null : Number(max), oomKills: oom ? Number(oom[1]) : 0 };
  }

  get isRemoved(): boolean {
    return this.removed;
  }

  /** Moves every task back to the parent, then removes the group. Idempotent; throws only if the folder stays. */
  async remove(): Promise<void> {
    if (this.removed) return;
    for (let attempt = 0; ; attempt++) {
      try {
        removeGroupSync(this.path, this.parent);
        break;
      } catch (err) {
        // A task that is exiting can keep the group busy for a moment.
        if (attempt >= 40) {
          throw new SimloadError(
            'ERR_CGROUP_REMOVE',
            `cannot remove the memory cgroup ${this.path}: ${(err as Error).message}`,
            undefined,
            { cause: err },
          );
        }
        await new Promise((r) => setTimeout(r, 50));
      }
    }
    this.removed = true;
    live.delete(this);
  }

  /** For exit handlers: one synchronous try, errors reported on stderr. */
  removeSync(): void {
    if (this.removed) return;
    try {
      removeGroupSync(this.path, this.parent);
      this.removed = true;
      live.delete(this);
    } catch (err) {
      process.stderr.write(`simload: could not remove the memory cgroup ${this.path}: ${(err as Error).message}\n`);
    }
  }
}

function removeGroupSync(path: string, parent: string): void {
  if (!existsSync(path)) return;
  const procs = readText(join(path, 'cgroup.procs')) ?? '';
  for (const pid of procs.split('\n').filter((s) => s !== '')) {
    try {
      writeFileSync(join(parent, 'cgroup.procs'), `${pid}\n`);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ESRCH') throw err; // exited meanwhile: nothing to move
    }
  }
  try {
    rmdirSync(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
}

/**
 * Removes simload-<pid>-* groups under the root whose creating process is gone (a run that was SIGKILLed).
 * Tasks still inside are moved to the root first, never killed. Returns the names removed.
 */
export function sweepStaleCgroups(o: DetectOptions = {}): string[] {
  const d = detectMemoryCgroup(o);
  if (!d.available) return [];
  const removed: string[] = [];
  let entries: string[];
  try {
    entries = readdirSync(d.root);
  } catch {
    return [];
  }
  for (const name of entries) {
    const m = /^simload-(\d+)-/.exec(name);
    if (!m || Number(m[1]) === process.pid || pidAlive(Number(m[1]))) continue;
    try {
      removeGroupSync(join(d.root, name), d.root);
      removed.push(name);
    } catch (err) {
      process.stderr.write(
        `simload: could not remove the stale memory cgroup ${join(d.root, name)}: ${(err as Error).message}\n`,
      );
    }
  }
  return removed;
}

export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function cleanupAllSync(): void {
  for (const g of [...live]) g.removeSync();
}

/** On exit and on SIGINT/SIGTERM/SIGHUP no group survives; a signal nobody else handles still ends the process. */
function installExitHandlers(): void {
  if (handlersInstalled) return;
  handlersInstalled = true;
  process.on('exit', cleanupAllSync);
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    const onSignal = (): void => {
      cleanupAllSync();
      if (process.listenerCount(sig) === 1) {
        // Only ours: keep the default meaning of the signal (terminate with it).
        process.removeListener(sig, onSignal);
        process.kill(process.pid, sig);
      }
    };
    process.on(sig, onSignal);
  }
}

function readText(file: string): string | null {
  try {
    return readFileSync(file, 'utf8').trim();
  } catch {
    return null;
  }
}

function isDir(p: string): boolean {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
}
