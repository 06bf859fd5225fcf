// A server process's memory cgroup for the length of its life. The run engine calls attachServer right after
// a server starts: pages are charged to the group that is current when they are first touched, and since
// Linux 6.12 charges no longer move with a process, so a group joined later could not reclaim the players'
// memory. Pressure phases then only change the group's limit; plan --verify sets a limit for the whole run.
// The group goes when the server exits (a watcher notices a crash or an OOM kill), on detachServer, and on exit
// of simload itself (cgroup.ts).

import { readFileSync } from 'node:fs';
import type { RunEvent } from '../results/layout.js';
import type { Scenario } from '../scenario/types.js';
import { formatBytes } from '../units.js';
import { detectMemoryCgroup, MemoryCgroup, pidAlive, sweepStaleCgroups, type DetectOptions } from './memory-cgroup.js';

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
  timer: NodeJS.Timeout | null;
}

const servers = new Map<number, ServerCgroup>();
const oomByVariant = new Map<string, number>();
let runLimit: number | null = null;
let detectOptions: DetectOptions = {};
let swept = false;

/** Poll interval of the watcher that notices a server's death (crash or OOM kill). */
export const WATCH_INTERVAL_MS = 250;

/** plan --verify: every server attached from now on runs under this hard limit (bytes of process memory). */
export function setRunMemoryLimit(bytes: number | null): void {
  runLimit = bytes;
}

/** Where groups are made (tests point this at another root). */
export function setCgroupDetectOptions(o: DetectOptions): void {
  detectOptions = o;
}

export function cgroupDetectOptions(): DetectOptions {
  return detectOptions;
}

export function needsCgroup(scenario: Pick<Scenario, 'load'> | null): boolean {
  return runLimit !== null || (scenario?.load.phases.some((p) => p.kind === 'pressure') ?? false);
}

export interface AttachOptions {
  scenario: Pick<Scenario, 'load'> | null;
  variant: string;
  pid: number;
  writer: EventSink;
  /** Attach even when the scenario has no pressure phase and no run limit is set. */
  force?: boolean;
}

/**
 * Puts a freshly started server into its own memory cgroup when the scenario needs one. Never throws: where
 * cgroups cannot be used the reason is kept, and pressure phases report it as `skipped`.
 */
export async function attachServer(o: AttachOptions): Promise<ServerCgroup | null> {
  if (!o.force && !needsCgroup(o.scenario)) return null;
  const existing = servers.get(o.pid);
  if (existing) return existing;
  if (!swept) {
    swept = true;
    sweepStaleCgroups(detectOptions);
  }
  const entry = newEntry(o.pid, o.variant, o.writer);
  entry.runLimit = runLimit;
  const d = detectMemoryCgroup(detectOptions);
  if (!d.available) {
    entry.unavailable = d.reason;
    servers.set(o.pid, entry);
    if (runLimit !== null) event(entry, 'skipped', runLimit, `no hard memory limit for this run: ${d.reason}`);
    return entry;
  }
  try {
    entry.chargedOutside = rssOf(o.pid);
    entry.group = await MemoryCgroup.create(o.variant, detectOptions);
    await entry.group.addPid(o.pid);
  } catch (err) {
    await entry.group?.remove().catch(() => undefined);
    entry.group = null;
    entry.unavailable = (err as Error).message;
    servers.set(o.pid, entry);
    if (runLimit !== null) event(entry, 'skipped', runLimit, `no hard memory limit for this run: ${entry.unavailable}`);
    return entry;
  }
  servers.set(o.pid, entry);
  startWatch(entry);
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

export function serverCgroup(pid: number): ServerCgroup | undefined {
  return servers.get(pid);
}

/** The memory limit in force for a server (for samples: PhaseState.memoryLimit), bytes, or null. */
export function memoryLimitFor(pid: number): number | null {
  return servers.get(pid)?.limit ?? null;
}

/** OOM kills seen in servers of this variant since simload started. */
export function oomKillsFor(variant: string): number {
  return oomByVariant.get(variant) ?? 0;
}

/** Ends the server's group: tasks back to the parent, group removed. Idempotent; never throws. */
export async function detachServer(pid: number): Promise<void> {
  const entry = servers.get(pid);
  if (!entry) return;
  await finish(entry);
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
export function event(entry: ServerCgroup, action: 'apply' | 'release' | 'skipped' | 'oom-kill', limitBytes: number | null, detail: string): void {
  const wall = Date.now();
  entry.writer.appendEvent({ type: 'pressure', variant: entry.variant, wall, t: wall - entry.startWall, action, limitBytes, detail });
}

/** Reports OOM kills the kernel made in the group since the last check. */
export function checkOom(entry: ServerCgroup): number {
  if (!entry.group || entry.group.isRemoved) return 0;
  const u = entry.group.readUsage();
  const fresh = u.oomKills - entry.oomKillsReported;
  if (fresh > 0) {
    entry.oomKillsReported = u.oomKills;
    oomByVariant.set(entry.variant, (oomByVariant.get(entry.variant) ?? 0) + fresh);
    event(entry, 'oom-kill', entry.limit, `the kernel's OOM killer killed ${fresh} process(es) in the server's cgroup (charged ${formatBytes(u.usage)}, group limit ${u.limit === null ? 'none' : formatBytes(u.limit)})`);
  }
  return fresh;
}

function startWatch(entry: ServerCgroup): void {
  entry.timer = setInterval(() => {
    checkOom(entry);
    const gone = !pidAlive(entry.pid) || (entry.group !== null && !entry.group.pids().includes(entry.pid));
    if (gone) void finish(entry);
  }, WATCH_INTERVAL_MS);
  entry.timer.unref();
}

async function finish(entry: ServerCgroup): Promise<void> {
  if (entry.timer) clearInterval(entry.timer);
  entry.timer = null;
  servers.delete(entry.pid);
  if (!entry.group) return;
  try {
    checkOom(entry);
    await entry.group.remove();
  } catch (err) {
    process.stderr.write(`simload: ${(err as Error).message}\n`);
  }
}

/** Registers a group a pressure phase made itself (when the run engine did not attach the server at start). */
export function adoptPhaseGroup(entry: ServerCgroup): void {
  servers.set(entry.pid, entry);
  startWatch(entry);
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
    startWall: processStartWall(pid) ?? Date.now(),
    oomKillsReported: 0,
    ownedByPhase: false,
    timer: null,
  };
}

function rssOf(pid: number): number {
  try {
    const m = /^VmRSS:\s+(\d+)\s+kB/m.exec(readFileSyncSafe(`/proc/${pid}/status`));
    return m ? Number(m[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

function readFileSyncSafe(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}

/** Start of a process as wall-clock ms, from /proc/PID/stat starttime and /proc/uptime (btime is whole seconds). */
export function processStartWall(pid: number): number | null {
  const stat = readFileSyncSafe(`/proc/${pid}/stat`);
  const now = Date.now();
  const uptime = Number(readFileSyncSafe('/proc/uptime').split(' ')[0]);
  if (!stat || !Number.isFinite(uptime) || uptime <= 0) return null;
  // Fields after the command name (which may hold spaces) start at ") ": starttime is field 22 overall.
  const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(rest[19]);
  if (!Number.isFinite(ticks)) return null;
  return Math.round(now - uptime * 1000 + (ticks * 1000) / 100); // USER_HZ is 100 on Linux x86-64
}
