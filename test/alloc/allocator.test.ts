// The allocator bridge against the real madv-free build, in this process (one variant per process; node --test
// runs each file in its own process). Default malloc_conf, so freed pages stay dirty until purged.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { Allocator } from '../../src/alloc/allocator.js';
import { SimloadError } from '../../src/errors.js';
import { variantBuildJson } from '../../src/native/paths.js';
import { requireBuilds } from './builds.js';

requireBuilds('madv-free');
delete process.env['JE_MALLOC_CONF'];
const a = Allocator.load({ name: 'madv-free', build: 'madv-free' });
const MiB = 1024 * 1024;

const badHandle = (fn: () => unknown) =>
  assert.throws(fn, (e: unknown) => e instanceof SimloadError && e.code === 'ERR_BAD_HANDLE');

test('info names the build: version from build.json, jemalloc 5.3 defaults', () => {
  const rec = JSON.parse(readFileSync(variantBuildJson('madv-free'), 'utf8')) as { fullVersion: string };
  assert.equal(a.info.kind, 'jemalloc');
  assert.equal(a.info.prefix, 'je_');
  assert.equal(a.info.version, rec.fullVersion);
  assert.match(a.info.version ?? '', /^5\.3\.0/);
  assert.equal(a.info.mallocConf, null);
  assert.deepEqual(a.info.opts, {
    dirtyDecayMs: 10000,
    muzzyDecayMs: 0,
    backgroundThread: false,
    narenas: a.info.opts.narenas,
  });
  assert.ok((a.info.opts.narenas ?? 0) >= 1);
});

test('stats follow allocations: allocated grows by at least the requested bytes and returns after free', () => {
  a.purge();
  const before = a.stats();
  const sizes = new Uint32Array(4096).map((_, i) => 64 + (i % 50) * 40); // 64 B .. 2 KiB
  const requested = sizes.reduce((x, y) => x + y, 0) * 8;
  const sets = Array.from({ length: 8 }, () => a.allocSet(sizes));
  const during = a.stats();
  assert.ok(
    during.allocated - before.allocated >= requested,
    `allocated grew ${during.allocated - before.allocated}, requested ${requested}`,
  );
  assert.ok(during.allocated - before.allocated < requested * 1.5 + MiB, 'allocated grew far more than requested');
  assert.ok(during.resident >= during.allocated, 'resident covers allocated');
  assert.equal(a.setBytes(sets[0]!), requested / 8);
  for (const s of sets) a.freeSet(s);
  a.purge(); // also flushes this thread's tcache, whose cached objects still count as allocated
  const after = a.stats();
  assert.ok(
    Math.abs(after.allocated - before.allocated) < 256 * 1024,
    `allocated after free ${after.allocated}, before ${before.allocated}`,
  );
});

test('purge empties pdirty: freed pages are dirty until arena.4096.purge', () => {
  a.purge();
  const sizes = new Uint32Array(8192).fill(1024);
  const sets = Array.from({ length: 8 }, () => a.allocSet(sizes)); // 64 MiB
  for (const s of sets) a.freeSet(s);
  a.decay(); // dirty_decay_ms is 10 s: decay now purges next to nothing
  const dirty = a.stats();
  assert.ok(dirty.pdirty >= 32 * MiB, `pdirty after freeing 64 MiB: ${dirty.pdirty}`);
  a.purge();
  const clean = a.stats();
  assert.equal(clean.pdirty, 0);
  assert.equal(clean.pmuzzy, 0);
  assert.ok(clean.resident < dirty.resident - 32 * MiB, `resident ${dirty.resident} -> ${clean.resident}`);
});

test('objects: malloc/realloc/free, and a double free or foreign handle is ERR_BAD_HANDLE, not a crash', () => {
  const h = a.malloc(100);
  const h2 = a.realloc(h, 100_000);
  assert.equal(h2, h, 'realloc keeps the handle');
  a.free(h2);
  badHandle(() => a.free(h2));
  badHandle(() => a.realloc(h2, 10));
  for (const foreign of [0, 12345, -1, 1.5, Number.NaN, 2 ** 60]) badHandle(() => a.free(foreign));
  const s = a.allocSet([16, 32]);
  badHandle(() => a.free(s)); // a set handle is not an object handle
  badHandle(() => a.setBytes(s + 0.5)); // not a handle, though it truncates to s
  a.freeSet(s);
  badHandle(() => a.freeSet(s));
  badHandle(() => a.setBytes(s));
  assert.deepEqual(a.live(), { objects: 0, sets: 0 });
});

test('a reused slot does not revive an old handle', () => {
  const first = a.allocSet([100]);
  a.freeSet(first);
  const second = a.allocSet([200]); // takes the freed slot with a new generation
  assert.notEqual(second, first);
  badHandle(() => a.freeSet(first));
  assert.equal(a.setBytes(second), 200);
  a.freeSet(second);
});

test('resizeInSet reallocs one object, writes it, and returns the new total', () => {
  const s = a.allocSet([100, 200, 300]);
  assert.equal(a.resizeInSet(s, 1, 5000), 5400);
  assert.equal(a.resizeInSet(s, 0, 10), 5310);
  assert.equal(a.setBytes(s), 5310);
  assert.throws(
    () => a.resizeInSet(s, 3, 10),
    (e: unknown) => e instanceof SimloadError && e.code === 'ERR_BAD_INDEX',
  );
  assert.throws(
    () => a.resizeInSet(s, 0, 0),
    (e: unknown) => e instanceof SimloadError && e.code === 'ERR_BAD_SIZE',
  );
  a.freeSet(s);
  badHandle(() => a.resizeInSet(s, 0, 10));
});

test('churn allocates and frees in one call; bad sizes are refused before any allocation', () => {
  a.purge();
  const before = a.stats().allocated;
  for (let i = 0; i < 100; i++) a.churn(new Uint32Array(200).fill(512));
  a.purge();
  assert.ok(Math.abs(a.stats().allocated - before) < 64 * 1024);
  for (const bad of [[0], [-5], [1.5], [2 ** 33]]) {
    assert.throws(
      () => a.churn(bad),
      (e: unknown) => e instanceof SimloadError && e.code === 'ERR_BAD_SIZE',
    );
    assert.throws(
      () => a.allocSet(bad),
      (e: unknown) => e instanceof SimloadError && e.code === 'ERR_BAD_SIZE',
    );
  }
  assert.deepEqual(a.live(), { objects: 0, sets: 0 });
});
