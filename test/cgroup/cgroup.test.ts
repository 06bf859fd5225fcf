// Real memory cgroups on this machine (root, cgroup v1): groups made, processes moved, limits the kernel
// enforces, OOM kills it reports, and nothing left behind.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import {
  CGROUP_ROOT_ENV,
  detectMemoryCgroup,
  MemoryCgroup,
  sweepStaleCgroups,
} from '../../src/cgroup/memory-cgroup.js';
import { ServerCgroups } from '../../src/cgroup/server-cgroup.js';
import { applyPressure, releasePressure } from '../../src/cgroup/pressure.js';
import { SimloadError } from '../../src/errors.js';
import { eventSink, memoryCgroupOf, spawnHog } from './helpers.js';
import { waitFor } from '../helpers/wait.js';

const MiB = 1024 * 1024;
/** The registry a run would make; tests with a run limit make their own. */
const cg = new ServerCgroups();
const d = detectMemoryCgroup();
const skip = d.available ? false : `memory cgroups unavailable here: ${d.reason}`;
const root = d.available ? d.root : '';

function ours(): string[] {
  return root ? readdirSync(root).filter((n) => n.startsWith(`simload-${process.pid}-`)) : [];
}

test('detects the memory cgroup this process runs in', { skip }, () => {
  assert.ok(d.available);
  if (!d.available) return;
  assert.ok(existsSync(join(d.root, 'cgroup.procs')));
  const own = memoryCgroupOf(process.pid)!;
  assert.ok(d.root.endsWith(own === '/' ? '' : own), `${d.root} should be where this process is (${own})`);
  assert.ok(existsSync(join(d.root, d.version === 1 ? 'memory.limit_in_bytes' : 'memory.max')));
});

test('a missing cgroup root is reported plainly, and a pressure phase is skipped with that reason', async () => {
  const bad = '/nonexistent/simload-cgroup-root';
  const det = detectMemoryCgroup({ root: bad });
  assert.equal(det.available, false);
  if (!det.available) assert.equal(det.reason, 'the cgroup root: no such cgroup folder');

  const before = process.env[CGROUP_ROOT_ENV];
  process.env[CGROUP_ROOT_ENV] = bad;
  try {
    const envDet = detectMemoryCgroup();
    assert.equal(envDet.available, false);
    if (!envDet.available) assert.equal(envDet.reason, `${CGROUP_ROOT_ENV}=${bad}: no such cgroup folder`);
    await assert.rejects(MemoryCgroup.create('x'), (err: unknown) => {
      assert.ok(err instanceof SimloadError);
      assert.equal(err.code, 'ERR_CGROUP_UNAVAILABLE');
      assert.equal(err.message, `memory cgroups cannot be used: ${CGROUP_ROOT_ENV}=${bad}: no such cgroup folder`);
      return true;
    });
    const sink = eventSink();
    const entry = await applyPressure(100 * MiB, { variant: 'v', serverPid: process.pid, writer: sink, cgroups: cg });
    assert.equal(entry, null);
    assert.equal(sink.events.length, 1);
    const e = sink.events[0]!;
    assert.equal(e.type, 'pressure');
    if (e.type === 'pressure') {
      assert.equal(e.action, 'skipped');
      assert.equal(e.limitBytes, 100 * MiB);
      assert.equal(e.detail, `memory pressure phase skipped: ${CGROUP_ROOT_ENV}=${bad}: no such cgroup folder`);
    }
    // A folder that exists but is no cgroup is refused too.
    const det2 = detectMemoryCgroup({ root: '/tmp' });
    assert.equal(det2.available, false);
    if (!det2.available) assert.equal(det2.reason, 'the cgroup root: /tmp is not a memory cgroup folder');
  } finally {
    if (before === undefined) delete process.env[CGROUP_ROOT_ENV];
    else process.env[CGROUP_ROOT_ENV] = before;
  }
});

test('create, move a process in, limit it, read usage, remove: the kernel enforces the limit', { skip }, async () => {
  const hog = await spawnHog();
  const g = await MemoryCgroup.create('unit');
  try {
    assert.match(g.name, new RegExp(`^simload-${process.pid}-unit(-\\d+)?$`));
    assert.ok(existsSync(g.path));
    await g.addPid(hog.pid);
    assert.deepEqual(g.pids(), [hog.pid]);
    assert.ok(memoryCgroupOf(hog.pid)!.endsWith(`/${g.name}`));
    const u0 = await g.usage();
    assert.equal(u0.limit, null);
    assert.equal(u0.oomKills, 0);

    // Pages touched after joining are charged here.
    assert.ok((await hog.alloc(160))! > 160 * MiB);
    const u1 = await g.usage();
    assert.ok(u1.usage >= 150 * MiB && u1.usage < 400 * MiB, `charged ${u1.usage}`);

    await g.setLimit(u1.usage + 64 * MiB);
    assert.equal((await g.usage()).limit, Math.floor((u1.usage + 64 * MiB) / 4096) * 4096);
    if (g.version === 1) {
      // Live memory cannot be reclaimed without swap: v1 refuses the limit, and the old one stays.
      await assert.rejects(
        g.setLimit(32 * MiB),
        (err: unknown) => err instanceof SimloadError && err.code === 'ERR_CGROUP_BUSY',
      );
      assert.equal((await g.usage()).limit, Math.floor((u1.usage + 64 * MiB) / 4096) * 4096);
    }
    await g.setLimit(null);
    assert.equal((await g.usage()).limit, null);
    assert.ok((await hog.alloc(0))! > 150 * MiB, 'the process is alive and kept its memory');

    const parent = memoryCgroupOf(process.pid);
    await g.remove();
    assert.equal(existsSync(g.path), false);
    assert.equal(memoryCgroupOf(hog.pid), parent, 'the process went back to the parent group');
    await g.remove(); // idempotent
  } finally {
    hog.kill();
    await g.remove();
  }
  assert.deepEqual(ours(), []);
});

test(
  'a server attached at start: pressure limit, OOM kill reported, group gone when the server dies',
  { skip },
  async () => {
    const hog = await spawnHog();
    const sink = eventSink();
    try {
      const entry = await cg.attach({ variant: 'oom', pid: hog.pid, writer: sink, force: true });
      assert.ok(entry?.group, entry?.unavailable ?? 'no group');
      const group = entry!.group!;
      assert.ok(memoryCgroupOf(hog.pid)!.endsWith(`/${group.name}`));
      await hog.alloc(100);
      const rss = (await hog.alloc(0))!;
      const charged = group.readUsage().usage;

      // A limit below live memory: v1 refuses, and the phase holds the server at what reclaim reached.
      const applied = await applyPressure(rss - 60 * MiB, {
        variant: 'oom',
        serverPid: hog.pid,
        writer: sink,
        cgroups: cg,
      });
      assert.equal(applied, entry);
      const apply = sink.events.find((e) => e.type === 'pressure' && e.action === 'apply');
      assert.ok(apply && apply.type === 'pressure', JSON.stringify(sink.events));
      const limit = cg.memoryLimitFor(hog.pid)!;
      assert.equal(apply.limitBytes, limit);
      if (group.version === 1) {
        assert.match(apply.detail, /the kernel could reclaim the group only down to/);
        assert.ok(limit > rss - 60 * MiB, `limit ${limit} should be above the refused ${rss - 60 * MiB}`);
      }
      const groupLimit = group.readUsage().limit!;
      assert.ok(
        groupLimit >= charged - 8 * MiB && groupLimit < charged + 300 * MiB,
        `group limit ${groupLimit}, charged ${charged}`,
      );

      // Growing past the limit: the kernel's OOM killer kills it, the watcher reports it and removes the group.
      const after = await hog.alloc(400);
      assert.equal(after, null, 'the process should have been killed');
      const { signal } = await hog.exited;
      assert.equal(signal, 'SIGKILL');
      await waitFor('the group to be removed after the server died', () => !existsSync(group.path), 5000);
      const oom = sink.events.filter((e) => e.type === 'pressure' && e.action === 'oom-kill');
      assert.equal(oom.length, 1, JSON.stringify(sink.events));
      assert.equal(cg.get(hog.pid), undefined);
      await releasePressure({ variant: 'oom', serverPid: hog.pid, writer: sink, cgroups: cg }); // after the death: harmless
    } finally {
      hog.kill();
      await cg.detach(hog.pid);
    }
    assert.deepEqual(ours(), []);
  },
);

test(
  'a server SIGKILLed mid-run leaves no group; detach at the normal end returns it to the parent',
  { skip },
  async () => {
    const a = await spawnHog();
    const b = await spawnHog();
    const sink = eventSink();
    try {
      const ea = await cg.attach({ variant: 'a', pid: a.pid, writer: sink, force: true });
      const eb = await cg.attach({ variant: 'b', pid: b.pid, writer: sink, force: true });
      const pa = ea!.group!.path;
      const pb = eb!.group!.path;
      assert.ok(existsSync(pa) && existsSync(pb));
      a.kill();
      await a.exited;
      await waitFor("the watcher to remove the crashed server's group", () => !existsSync(pa), 3000);
      assert.ok(existsSync(pb), 'the other server keeps its group');
      await cg.detach(b.pid);
      assert.equal(existsSync(pb), false);
      assert.equal(memoryCgroupOf(b.pid), memoryCgroupOf(process.pid));
      assert.deepEqual(
        sink.events.filter((e) => e.type === 'pressure' && e.action === 'oom-kill'),
        [],
      );
    } finally {
      a.kill();
      b.kill();
    }
    assert.deepEqual(ours(), []);
  },
);

test('stale groups of dead simload processes are swept, live ones kept', { skip }, async () => {
  const dead = spawn(process.execPath, ['-e', '0']);
  await new Promise((r) => dead.once('exit', r));
  const live = await spawnHog();
  const stale = join(root, `simload-${dead.pid}-stale`);
  const kept = join(root, `simload-${live.pid}-kept`);
  mkdirSync(stale);
  mkdirSync(kept);
  try {
    const removed = sweepStaleCgroups();
    assert.ok(removed.includes(`simload-${dead.pid}-stale`), removed.join(','));
    assert.equal(existsSync(stale), false);
    assert.equal(existsSync(kept), true);
  } finally {
    live.kill();
    await live.exited;
    sweepStaleCgroups();
  }
  assert.equal(existsSync(kept), false, 'swept once its process was gone');
});

test('Ctrl-C (SIGINT) of a simload process removes its groups before it ends', { skip }, async () => {
  const attach = new URL('../../src/cgroup/server-cgroup.js', import.meta.url).href;
  const script = `
    import { spawn } from 'node:child_process';
    import { ServerCgroups } from ${JSON.stringify(attach)};
    const server = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
    const e = await new ServerCgroups().attach({ variant: 'sigint', pid: server.pid, writer: { appendEvent() {} }, force: true });
    process.on('exit', () => server.kill('SIGKILL'));
    process.stdout.write(JSON.stringify({ path: e.group.path, server: server.pid }) + '\\n');
    setInterval(() => {}, 1000);
  `;
  const cli = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  let serverPid = 0;
  try {
    const first = await new Promise<string>((resolve, reject) => {
      cli.stdout!.once('data', (b: Buffer) => resolve(b.toString()));
      cli.once('exit', () => reject(new Error('the child ended early')));
    });
    const { path, server } = JSON.parse(first) as { path: string; server: number };
    serverPid = server;
    assert.ok(existsSync(path));
    assert.ok(memoryCgroupOf(server)!.endsWith(path.slice(path.lastIndexOf('/'))));
    const exited = new Promise<NodeJS.Signals | null>((r) => cli.once('exit', (_c, s) => r(s)));
    cli.kill('SIGINT');
    assert.equal(await exited, 'SIGINT', 'the signal keeps its meaning: the process ends by SIGINT');
    assert.equal(existsSync(path), false, 'no group left after Ctrl-C');
  } finally {
    cli.kill('SIGKILL');
    // The stand-in server outlives a CLI killed by a signal; that is the run engine's to handle, not ours.
    if (serverPid) process.kill(serverPid, 'SIGKILL');
  }
});

test(
  'a run limit (plan --verify) holds from the start; a pressure phase lowers it and its end restores it',
  { skip },
  async () => {
    const hog = await spawnHog();
    const sink = eventSink();
    const cg = new ServerCgroups({ runLimit: 900 * MiB });
    try {
      const entry = (await cg.attach({ variant: 'run', pid: hog.pid, writer: sink }))!;
      assert.ok(entry.group, 'a run limit alone makes the server get a group');
      const outside = entry.chargedOutside;
      assert.ok(outside > 10 * MiB && outside < 300 * MiB, `charged outside: ${outside}`);
      assert.equal(cg.memoryLimitFor(hog.pid), 900 * MiB);
      assert.equal(entry.group.readUsage().limit, Math.floor((900 * MiB - outside) / 4096) * 4096);
      await hog.alloc(50);
      await applyPressure(600 * MiB, { variant: 'run', serverPid: hog.pid, writer: sink, cgroups: cg });
      assert.equal(cg.memoryLimitFor(hog.pid), 600 * MiB);
      assert.equal(entry.group.readUsage().limit, Math.floor((600 * MiB - outside) / 4096) * 4096);
      await releasePressure({ variant: 'run', serverPid: hog.pid, writer: sink, cgroups: cg });
      assert.equal(cg.memoryLimitFor(hog.pid), 900 * MiB);
      assert.equal(entry.group.readUsage().limit, Math.floor((900 * MiB - outside) / 4096) * 4096);
      const kinds = sink.events.map((e) => (e.type === 'pressure' ? `${e.action} ${e.limitBytes! / MiB}` : e.type));
      assert.deepEqual(kinds, ['apply 900', 'apply 600', 'release 900']);
      assert.match(
        (sink.events[2] as { detail: string }).detail,
        /^run limit 900\.0 MiB restored; Rss \d+\.\d MiB, LazyFree 0 B at release; OOM kills in the group: 0$/,
      );
    } finally {
      hog.kill();
      await cg.detach(hog.pid);
    }
    assert.deepEqual(ours(), []);
  },
);

test('without cgroups a run limit is reported as skipped, not pretended', async () => {
  const hog = await spawnHog();
  const sink = eventSink();
  const before = process.env[CGROUP_ROOT_ENV];
  process.env[CGROUP_ROOT_ENV] = '/nonexistent/root';
  const cg = new ServerCgroups({ runLimit: 900 * MiB });
  try {
    const entry = (await cg.attach({ variant: 'none', pid: hog.pid, writer: sink }))!;
    assert.equal(entry.group, null);
    assert.equal(cg.memoryLimitFor(hog.pid), null);
    assert.deepEqual(
      sink.events.map((e) => (e.type === 'pressure' ? [e.action, e.detail] : [])),
      [['skipped', `no hard memory limit for this run: ${CGROUP_ROOT_ENV}=/nonexistent/root: no such cgroup folder`]],
    );
  } finally {
    if (before === undefined) delete process.env[CGROUP_ROOT_ENV];
    else process.env[CGROUP_ROOT_ENV] = before;
    hog.kill();
    await cg.detach(hog.pid);
  }
});
