// What a pressure phase does to a server: lower its cgroup's memory limit at the start, restore it at the end,
// and say in events what happened (applied, refused, skipped, OOM kills). The LoadShape in
// driver/shapes/pressure.ts only forwards to these.

import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { SimloadError } from '../errors.js';
import { readProcMemory } from '../proc/memory.js';
import { formatBytes } from '../units.js';
import {
  event,
  groupLimit,
  newEntry,
  outsideNote,
  type EventSink,
  type ServerCgroup,
  type ServerCgroups,
} from './server-cgroup.js';
import { detectMemoryCgroup, MemoryCgroup, pidAlive } from './memory-cgroup.js';

export interface PressureContext {
  variant: string;
  serverPid: number;
  writer: EventSink;
  /** The run's server cgroups (the server is looked up there, a group made late is registered there). */
  cgroups: ServerCgroups;
}

/** Steps above the reclaimable floor tried when cgroup v1 refuses a limit (EBUSY). */
const BUSY_STEPS = [4, 16, 64, 256].map((m) => m * 1024 * 1024);

/** Applies `limitBytes` (process memory) to the server. Never throws for an unusable cgroup: it reports `skipped`. */
export async function applyPressure(limitBytes: number, ctx: PressureContext): Promise<ServerCgroup | null> {
  const pid = ctx.serverPid;
  let entry = ctx.cgroups.get(pid);
  if (!pidAlive(pid)) {
    newEntryEvent(ctx, 'skipped', limitBytes, `the server process ${pid} is gone`);
    return null;
  }
  if (!entry) entry = (await lateAttach(limitBytes, ctx)) ?? undefined;
  if (!entry) return null;
  if (!entry.group) {
    event(entry, 'skipped', limitBytes, `memory pressure phase skipped: ${entry.unavailable ?? 'no memory cgroup'}`);
    return entry;
  }
  const before = await readProcMemory(pid).catch(() => null);
  const wanted = groupLimit(entry, limitBytes);
  let applied = wanted;
  let refused = '';
  try {
    await entry.group.setLimit(wanted);
  } catch (err) {
    if (!(err instanceof SimloadError) || err.code !== 'ERR_CGROUP_BUSY') throw err;
    // cgroup v1 reclaimed what it could and refused: hold the server at the floor it reached instead.
    const floor = entry.group.readUsage().usage;
    let ok = false;
    for (const step of BUSY_STEPS) {
      applied = floor + step;
      try {
        await entry.group.setLimit(applied);
        ok = true;
        break;
      } catch (e) {
        if (!(e instanceof SimloadError) || e.code !== 'ERR_CGROUP_BUSY') throw e;
      }
    }
    if (!ok) {
      event(
        entry,
        'skipped',
        limitBytes,
        `the kernel refused every limit down to ${formatBytes(applied)} (cgroup v1 EBUSY): the server's memory is not reclaimable`,
      );
      return entry;
    }
    refused = `; the kernel could reclaim the group only down to ${formatBytes(floor)}, so the limit is ${formatBytes(applied + entry.chargedOutside)} instead of ${formatBytes(limitBytes)}`;
  }
  entry.limit = applied + entry.chargedOutside;
  entry.pressureActive = true;
  const at = before ? ` on Rss ${formatBytes(before.rss)} with LazyFree ${formatBytes(before.lazyFree)}` : '';
  event(
    entry,
    'apply',
    entry.limit,
    `memory limit ${formatBytes(entry.limit)}${at} (cgroup v${entry.group.version} ${entry.group.path})${refused}${outsideNote(entry)}`,
  );
  return entry;
}

/** Ends a pressure phase: the run's own limit (or none) comes back; a group the phase made itself goes. */
export async function releasePressure(ctx: PressureContext): Promise<void> {
  const entry = ctx.cgroups.get(ctx.serverPid);
  if (!entry || !entry.group || !entry.pressureActive) return; // skipped, or already released
  entry.pressureActive = false;
  ctx.cgroups.checkOom(entry);
  const alive = pidAlive(ctx.serverPid);
  try {
    if (!entry.group.isRemoved)
      await entry.group.setLimit(entry.runLimit === null ? null : groupLimit(entry, entry.runLimit));
  } finally {
    entry.limit = entry.runLimit;
  }
  const after = alive ? await readProcMemory(ctx.serverPid).catch(() => null) : null;
  const state = after
    ? `Rss ${formatBytes(after.rss)}, LazyFree ${formatBytes(after.lazyFree)} at release`
    : 'the server process is gone';
  const restored = entry.runLimit === null ? 'limit removed' : `run limit ${formatBytes(entry.runLimit)} restored`;
  event(entry, 'release', entry.runLimit, `${restored}; ${state}; OOM kills in the group: ${entry.oomKillsReported}`);
  if (entry.ownedByPhase) await ctx.cgroups.detach(ctx.serverPid);
}

/**
 * The run engine did not put the server into a group at start. Memory it already has stays charged where it
 * is unless the kernel can still move charges (cgroup v1 before Linux 6.12); without that a limit would reclaim
 * nothing, so the phase is skipped and says why rather than pretending.
 */
async function lateAttach(limitBytes: number, ctx: PressureContext): Promise<ServerCgroup | null> {
  const entry = newEntry(ctx.serverPid, ctx.variant, ctx.writer);
  const d = detectMemoryCgroup(ctx.cgroups.detect);
  if (!d.available) {
    event(entry, 'skipped', limitBytes, `memory pressure phase skipped: ${d.reason}`);
    return null;
  }
  let group: MemoryCgroup | null = null;
  try {
    group = await MemoryCgroup.create(ctx.variant, ctx.cgroups.detect);
    if (group.version === 2) throw new Error('cgroup v2 never moves memory already charged');
    try {
      writeFileSync(join(group.path, 'memory.move_charge_at_immigrate'), '1');
    } catch (err) {
      throw new Error(
        `this kernel cannot move memory already charged (memory.move_charge_at_immigrate: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}; removed in Linux 6.12)`,
      );
    }
    await group.addPid(ctx.serverPid);
  } catch (err) {
    await group?.remove().catch(() => undefined);
    event(
      entry,
      'skipped',
      limitBytes,
      `memory pressure phase skipped: the server was not put into a memory cgroup when it started, and ${(err as Error).message}`,
    );
    return null;
  }
  entry.group = group;
  entry.ownedByPhase = true;
  ctx.cgroups.adoptPhaseGroup(entry);
  return entry;
}

function newEntryEvent(ctx: PressureContext, action: 'skipped', limit: number, detail: string): void {
  event(newEntry(ctx.serverPid, ctx.variant, ctx.writer), action, limit, detail);
}
