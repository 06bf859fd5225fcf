// Bad input through the real CLI: each a clear error and a non-zero exit, never a crash.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { BIN, requireBuilds } from '../alloc/builds.js';

requireBuilds('madv-free');

function simload(...args: string[]) {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout: 60_000 });
  return { code: r.status, signal: r.signal, out: r.stdout, err: r.stderr };
}

test('a missing library', () => {
  const r = simload('probe', '--lib', '/nonexistent/libjemalloc.so.2');
  assert.equal(r.code, 2);
  assert.match(r.err, /library \/nonexistent\/libjemalloc\.so\.2 does not exist/);
});

test('a library without mallctl (libc with --prefix none)', () => {
  const r = simload('probe', '--lib', '/lib/x86_64-linux-gnu/libc.so.6', '--prefix', 'none', '--size', '8MiB');
  assert.equal(r.code, 2);
  assert.match(r.err, /libc\.so\.6 has no mallctl: not a jemalloc library/);
});

test('a malformed malloc_conf is refused before anything runs', () => {
  const r = simload('probe', '--variant', 'madv-free', '--malloc-conf', 'dirty_decay_ms=0');
  assert.equal(r.code, 2);
  assert.match(r.err, /malloc_conf "dirty_decay_ms=0" is malformed/);
});

test('a conf jemalloc itself rejects (unknown option) is an error, not a silent default', () => {
  const r = simload(
    'probe',
    '--variant',
    'madv-free',
    '--malloc-conf',
    'dirty_decay_ms:100,no_such_option:1',
    '--size',
    '8MiB',
  );
  assert.equal(r.code, 2);
  assert.match(r.err, /jemalloc rejected .*Invalid conf pair: no_such_option:1/);
});

test('an unknown build and a missing choice', () => {
  const a = simload('probe', '--variant', 'fast');
  assert.equal(a.code, 2);
  assert.match(a.err, /unknown build "fast"; builds: madv-free, no-madv-free, glibc/);
  const b = simload('probe');
  assert.equal(b.code, 2);
  assert.match(b.err, /give --variant NAME/);
});

test('a double free in a process using the bridge: ERR_BAD_HANDLE and a non-zero exit, not a crash', () => {
  const allocator = fileURLToPath(new URL('../../src/alloc/allocator.js', import.meta.url));
  const script = `
    const { Allocator } = await import(${JSON.stringify(allocator)});
    const a = Allocator.load({ name: 'madv-free', build: 'madv-free' });
    const s = a.allocSet([64, 128]);
    a.freeSet(s);
    try { a.freeSet(s); } catch (e) { console.error(e.code + ': ' + e.message); process.exit(3); }
  `;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', timeout: 30_000 });
  assert.equal(r.signal, null, 'no crash');
  assert.equal(r.status, 3);
  assert.match(r.stderr, /^ERR_BAD_HANDLE: freeSet\(\d+\): not a live handle/);
});
