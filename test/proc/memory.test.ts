// readProcMemory against real processes: /proc readings, no mocks.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { parseSmaps, readProcMemory } from '../../src/proc/memory.js';

const MiB = 1024 * 1024;

test('Rss of a child grows by at least the Buffer it fills', { timeout: 30_000 }, async () => {
  // The child fills a 256 MiB Buffer when told to (Buffer.alloc writes every byte, so every page is touched).
  const child = spawn(process.execPath, ['-e', `process.stdin.once('data', () => { globalThis.keep = Buffer.alloc(256 * 1024 * 1024, 7); process.stdout.write('filled\\n'); }); process.stdout.write('ready\\n');`], { stdio: ['pipe', 'pipe', 'inherit'] });
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
    for (const v of Object.values(after)) assert.ok(Number.isInteger(v) && v % 1024 === 0, 'bytes from kB');
  } finally {
    child.kill('SIGKILL');
    await once(child, 'exit').catch(() => undefined);
  }
  await assert.rejects(readProcMemory(child.pid!), { code: 'ERR_NO_PROC' });
  await assert.rejects(readProcMemory(-1), { code: 'ERR_NO_PROC' });
});

test('parseSmaps sums kB fields into bytes', () => {
  const text = 'Rss:                1024 kB\nPss:  900 kB\nLazyFree:            512 kB\nAnonymous:           768 kB\nAnonHugePages:         0 kB\nRss:  1 kB\n';
  assert.deepEqual(parseSmaps(text), { rss: 1025 * 1024, lazyFree: 512 * 1024, anonymous: 768 * 1024, anonHugePages: 0 });
});
