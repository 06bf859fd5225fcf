// readProcMemory against real processes: /proc readings, no mocks.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { parseSmaps, parseStatCpuMs, readProcMemory } from '../../src/proc/memory.js';
import { readCpuMs } from '../../src/proc/process.js';

const MiB = 1024 * 1024;

test('Rss of a child grows by at least the Buffer it fills', { timeout: 30_000 }, async () => {
  // The child fills a 256 MiB Buffer when told to (Buffer.alloc writes every byte, so every page is touched).
  const child = spawn(
    process.execPath,
    [
      '-e',
      `process.stdin.once('data', () => { globalThis.keep = Buffer.alloc(256 * 1024 * 1024, 7); process.stdout.write('filled\\n'); }); process.stdout.write('ready\\n');`,
    ],
    { stdio: ['pipe', 'pipe', 'inherit'] },
  );
  try {
    await once(child.stdout, 'data');
    const before = await readProcMemory(child.pid!);
    assert.ok(before.rss > 10 * MiB && before.rss < 200 * MiB, `a fresh node has a plausible Rss: ${before.rss}`);
    child.stdin.write('go\n');
    await once(child.stdout, 'data');
    const after = await readProcMemory(child.pid!);
    const grew = after.rss - before.rss;
    assert.ok(grew >= 256 * MiB, `Rss grew by ${grew / MiB} MiB`);
    assert.ok(grew < 300 * MiB, `Rss grew by ${grew / MiB} MiB, far more than the buffer`);
    assert.ok(after.anonymous - before.anonymous >= 250 * MiB, 'the growth is anonymous memory');
    assert.ok(after.vmHWM >= after.rss, 'VmHWM is at least the current Rss');
    assert.ok(after.lazyFree >= 0 && after.lazyFree < 16 * MiB, `no MADV_FREE in a plain node: ${after.lazyFree}`);
    const { cpuMs, ...bytes } = after;
    for (const v of Object.values(bytes)) assert.ok(Number.isInteger(v) && v % 1024 === 0, 'bytes from kB');
    assert.ok(
      cpuMs !== undefined && cpuMs >= (before.cpuMs ?? Infinity),
      `CPU time read and not going back: ${before.cpuMs} -> ${cpuMs}`,
    );
  } finally {
    child.kill('SIGKILL');
    await once(child, 'exit').catch(() => undefined);
  }
  await assert.rejects(readProcMemory(child.pid!), { code: 'ERR_NO_PROC' });
  await assert.rejects(readProcMemory(-1), { code: 'ERR_NO_PROC' });
});

test('parseSmaps sums kB fields into bytes', () => {
  const text =
    'Rss:                1024 kB\nPss:  900 kB\nLazyFree:            512 kB\nAnonymous:           768 kB\nAnonHugePages:         0 kB\nRss:  1 kB\n';
  assert.deepEqual(parseSmaps(text), {
    rss: 1025 * 1024,
    lazyFree: 512 * 1024,
    anonymous: 768 * 1024,
    anonHugePages: 0,
  });
});

test('CPU time of a process: utime + stime of /proc/PID/stat, as the process itself counts it', async () => {
  const own = () => {
    const u = process.cpuUsage();
    return (u.user + u.system) / 1000;
  };
  // Spins until the process has used 400 ms more CPU by its own count (wall time varies with the machine's load).
  const spin = (ms: number) => {
    const end = own() + ms;
    while (own() < end) Math.sqrt(Math.random());
  };
  const before = { proc: (await readProcMemory(process.pid)).cpuMs!, own: own() };
  spin(400);
  const after = { proc: (await readProcMemory(process.pid)).cpuMs!, own: own(), sync: readCpuMs(process.pid)! };
  // /proc counts in 10 ms ticks and getrusage in microseconds: the two agree to a few ticks.
  const grew = after.proc - before.proc;
  assert.ok(
    Math.abs(grew - (after.own - before.own)) <= 40,
    `/proc says ${grew} ms, cpuUsage ${after.own - before.own} ms`,
  );
  assert.ok(grew >= 350, `400 ms of spinning (by cpuUsage) read as ${grew} ms of CPU`);
  assert.ok(
    after.sync >= after.proc && after.sync - after.proc <= 40,
    `the sync reader agrees: ${after.sync} against ${after.proc}`,
  );
  assert.equal(readCpuMs(-1), null);
});

test('parseStatCpuMs: utime + stime after a command name with spaces and parentheses', () => {
  // pid (comm) state ppid pgrp session tty_nr tpgid flags minflt cminflt majflt cmajflt utime stime ...
  const line = '4242 (a (b) c) S 1 4242 4242 0 -1 4194560 100 0 0 0 1234 56 0 0 20 0 9 0 777 1000 10';
  assert.equal(parseStatCpuMs(line), 12_900);
  assert.equal(parseStatCpuMs(''), null);
  assert.equal(parseStatCpuMs('4242 (x) S 1'), null);
});
