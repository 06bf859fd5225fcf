// A server process's memory cgroup for the length of its life. The run engine calls attach() right after
// a server starts: pages are charged to the group that is current when they are first touched, and since
// Linux 6.12 charges no longer move with a process, so a group joined later could not reclaim the players'
// memory. Pressure phases then only change the group's limit; plan --verify sets a limit for the whole run
// (ServerCgroups' runLimit, passed in the run's options). The group goes when the server exits (a watcher
// notices a crash or an OOM kill), on detach, and on exit of simload itself (memory-cgroup.ts).

import type { RunEvent } from '../results/layout.js';
import { formatBytes } from '../units.js';
import { readStartWall, readVmRss } from '../proc/process.js';
import { detectMemoryCgroup, MemoryCgroup, pidAlive, type DetectOptions } from './memory-cgroup.js';

/** The part of RunWriter this needs. */
export interface EventSink {
  appendEvent(e: RunEvent): void;
}

export interface ServerCgroup {
  pid: number;
  variant: string;
  writer: EventSink;
  /** Null when cgroups cannot be used; `unavailable` says why. */
  group: MemoryCgroup | null;
  unavailable: string | null;
  /** Limit the user asked for (process memory), bytes; null when none. */
  limit: number | null;
  /** Limit for the whole run (plan --verify), restored when a pressure phase ends. */
  runLimit: number | null;
  /**
   * Bytes the process had charged elsewhere before it joined (the runtime at start): they stay outside the
   * group, so the group's limit is the requested one minus this.
   */
  chargedOutside: number;
  /** Wall clock of the process start, ms since epoch (for RunEvent.t). */
  startWall: number;
  /** OOM kills already reported as events. */
  oomKillsReported: number;
  /** Made by a pressure phase (not at launch): removed when the phase ends. */
  ownedByPhase: boolean;
  /** A pressure phase's limit is in force (cgroup/pressure.ts). */
  pressureActive: boolean;
  timer: NodeJS.Timeout | null;
}

/** Poll interval of the watcher that notices a server's death (crash or OOM kill). */
export const WATCH_INTERVAL_MS = 250;

export interface ServerCgroupsOptions {
  /** plan --verify: every server attached runs under this hard limit (bytes of process memory); null: none. */
  runLimit?: number | null;
  /** Where groups are made (tests point this at another root); default: detected (cgroup/memory-cgroup.ts). */
  detect?: DetectOptions;
}

export interface AttachOptions {
  variant: string;
  pid: number;
  writer: EventSink;
  /** Attach even without a run limit: the scenario has a pressure phase (or a test wants a group). */
  force?: boolean;
}

/**
 * The memory cgroups of one run's servers (or one plan's runs): made per run and handed down in its options
 * (RunOptions -> VariantRunContext -> the driver's phases), so no run state lives in module globals.
 */
export class ServerCgroups {
  readonly runLimit: number | null;
  readonly detect: DetectOptions;
  private readonly servers = new Map<number, ServerCgroup>();
  private readonly oomByVariant = new Map<string, number>();

  constructor(o: ServerCgroupsOptions = {}) {
    this.runLimit = o.runLimit ?? null;
    this.detect = o.detect ?? {};
  }

  /**
   * Puts a freshly started server into its own memory cgroup when the run needs one (a run limit, or `force`).
   * Never throws: where cgroups cannot be used the reason is kept, and pressure phases report it as `skipped`.
   */
  async attach(o: AttachOptions): Promise<ServerCgroup | null> {
    const runLimit = this.runLimit;
    if (!o.force && runLimit === null) return null;
    const existing = this.servers.get(o.pid);
    if (existing) return existing;
    const entry = newEntry(o.pid, o.variant, o.writer);
    entry.runLimit = runLimit;
    const d = detectMemoryCgroup(this.detect);
    if (!d.available) {
      entry.unavailable = d.reason;
      this.servers.set(o.pid, entry);
      if (runLimit !== null) event(entry, 'skipped', runLimit, `no hard memory limit for this run: ${d.reason}`);
      return entry;
    }
    try {
      entry.chargedOutside = readVmRss(o.pid) ?? 0;
      entry.group = await MemoryCgroup.create(o.variant, this.detect);
      await entry.group.addPid(o.pid);
    } catch (err) {
      await entry.group?.remove().catch(() => undefined);
      entry.group = null;
      entry.unavailable = (err as Error).message;
      this.servers.set(o.pid, entry);
      if (runLimit !== null)
        event(entry, 'skipped', runLimit, `no hard memory limit for this run: ${entry.unavailable}`);
      return entry;
    }
    this.servers.set(o.pid, entry);
    this.startWatch(entry);
    if (runLimit !== null) {
      try {
        await entry.group.setLimit(groupLimit(entry, runLimit));
        entry.limit = runLimit;
        event(entry, 'apply', runLimit, `hard limit for the whole run in ${entry.group.path}` + outsideNote(entry));
      } catch (err) {
        entry.runLimit = null;
        event(entry, 'skipped', runLimit, `no hard memory limit for this run: ${(err as Error).message}`);
      }
    }
    return entry;
  }

  get(pid: number): ServerCgroup | undefined {
    return this.servers.get(pid);
  }

  /** The memory limit in force for a server (for samples: PhaseState.memoryLimit), bytes, or null. */
  memoryLimitFor(pid: number): number | null {
    return this.servers.get(pid)?.limit ?? null;
  }

  /** OOM kills seen in servers of this variant under this registry. */
  oomKillsFor(variant: string): number {
    return this.oomByVariant.get(variant) ?? 0;
  }

  /** Ends the server's group: tasks back to the parent, group removed. Idempotent; never throws. */
  async detach(pid: number): Promise<void> {
    const entry = this.servers.get(pid);
    if (!entry) return;
    await this.finish(entry);
  }

  /** Registers a group a pressure phase made itself (when the run engine did not attach the server at start). */
  adoptPhaseGroup(entry: ServerCgroup): void {
    this.servers.set(entry.pid, entry);
    this.startWatch(entry);
  }

  /** Reports OOM kills the kernel made in the group since the last check. */
  checkOom(entry: ServerCgroup): number {
    if (!entry.group || entry.group.isRemoved) return 0;
    const u = entry.group.readUsage();
    const fresh = u.oomKills - entry.oomKillsReported;
    if (fresh > 0) {
      entry.oomKillsReported = u.oomKills;
      this.oomByVariant.set(entry.variant, (this.oomByVariant.get(entry.variant) ?? 0) + fresh);
      event(
        entry,
        'oom-kill',
        entry.limit,
        `the kernel's OOM killer killed ${fresh} process(es) in the server's cgroup (charged ${formatBytes(u.usage)}, group limit ${u.limit === null ? 'none' : formatBytes(u.limit)})`,
      );
    }
    return fresh;
  }

  private startWatch(entry: ServerCgroup): void {
    entry.timer = setInterval(() => {
      this.checkOom(entry);
      const gone = !pidAlive(entry.pid) || (entry.group !== null && !entry.group.pids().includes(entry.pid));
      if (gone) void this.finish(entry);
    }, WATCH_INTERVAL_MS);
    entry.timer.unref();
  }

  private async finish(entry: ServerCgroup): Promise<void> {
    if (entry.timer) clearInterval(entry.timer);
    entry.timer = null;
    this.servers.delete(entry.pid);
    if (!entry.group) return;
    try {
      this.checkOom(entry);
      await entry.group.remove();
    } catch (err) {
      process.stderr.write(`simload: ${(err as Error).message}\n`);
    }
  }
}

/** The limit to write into the group for a requested process-memory limit. */
export function groupLimit(entry: ServerCgroup, requested: number): number {
  return Math.max(requested - entry.chargedOutside, 16 * 1024 * 1024);
}

export function outsideNote(entry: ServerCgroup): string {
  return entry.chargedOutside > 0
    ? `; ${(entry.chargedOutside / 1048576).toFixed(0)} MiB charged before the server joined the group stay outside it, so the group's own limit is that much lower`
    : '';
}

/** Writes a `pressure` RunEvent for this server. */
export function event(
  entry: ServerCgroup,
  action: 'apply' | 'release' | 'skipped' | 'oom-kill',
  limitBytes: number | null,
  detail: string,
): void {
  const wall = Date.now();
  entry.writer.appendEvent({
    type: 'pressure',
    variant: entry.variant,
    wall,
    t: wall - entry.startWall,
    action,
    limitBytes,
    detail,
  });
}

export function newEntry(pid: number, variant: string, writer: EventSink): ServerCgroup {
  return {
    pid,
    variant,
    writer,
    group: null,
    unavailable: null,
    limit: null,
    runLimit: null,
    chargedOutside: 0,
    startWall: readStartWall(pid) ?? Date.now(),
    oomKillsReported: 0,
    ownedByPhase: false,
    pressureActive: false,
    timer: null,
  };
}
