// The real builds made by `npm install`: what build.json records, the generated headers, and that a cached
// build is left alone.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SimloadError } from '../../src/errors.js';
import { DEFS_HEADER, editDefines, readBuildRecord } from '../../src/native/jemalloc-build.js';
import { variantDir } from '../../src/native/paths.js';
import { recipeFor } from '../../src/native/recipes.js';
import { BIN, requireBuilds } from '../alloc/builds.js';

requireBuilds('madv-free', 'no-madv-free');
const header = (name: string) => readFileSync(join(variantDir(name), 'src', DEFS_HEADER), 'utf8');
const defined = (text: string, macro: string) => new RegExp(`^\\s*#\\s*define\\s+${macro}\\b`, 'm').test(text);

test('build.json records version, configure flags and the source for each variant', () => {
  for (const name of ['madv-free', 'no-madv-free']) {
    const rec = readBuildRecord(name);
    assert.ok(rec, name);
    assert.match(rec.version, /^5\.\d+\.\d+$/);
    assert.ok(rec.fullVersion.startsWith(rec.version));
    assert.deepEqual(rec.configureFlags, ['--with-jemalloc-prefix=je_', '--disable-initial-exec-tls', '--disable-cxx']);
    assert.match(rec.source.hash, /^[0-9a-f]{64}$/);
    assert.equal(rec.libPath, `native/build/${name}/lib/libjemalloc.so.2`);
  }
  assert.deepEqual(readBuildRecord('madv-free')!.configCache, []);
  assert.deepEqual(readBuildRecord('no-madv-free')!.configCache, ['je_cv_madv_free=no']);
  assert.deepEqual(readBuildRecord('no-madv-free')!.removedDefines, [
    'JEMALLOC_PURGE_MADVISE_FREE',
    'JEMALLOC_DEFINE_MADVISE_FREE',
  ]);
});

test('the generated headers: lazy purge compiled into madv-free only', () => {
  assert.equal(defined(header('madv-free'), 'JEMALLOC_PURGE_MADVISE_FREE'), true);
  const no = header('no-madv-free');
  assert.equal(defined(no, 'JEMALLOC_PURGE_MADVISE_FREE'), false);
  assert.equal(defined(no, 'JEMALLOC_DEFINE_MADVISE_FREE'), false);
  assert.match(no, /removed by simload: recipe no-madv-free/);
});

test('the header check fails loudly when lazy purge is still compiled in', () => {
  const dir = mkdtempSync(join(tmpdir(), 'simload-defs-'));
  try {
    const file = join(dir, 'defs.h');
    copyFileSync(join(variantDir('madv-free'), 'src', DEFS_HEADER), file);
    const recipe = recipeFor('no-madv-free')!;
    assert.throws(
      () => editDefines(file, { ...recipe, removeDefines: [] }),
      (e: unknown) =>
        e instanceof SimloadError &&
        e.code === 'ERR_BUILD_CHECK' &&
        /JEMALLOC_PURGE_MADVISE_FREE is still defined/.test(e.message),
    );
    editDefines(file, recipe);
    assert.equal(defined(readFileSync(file, 'utf8'), 'JEMALLOC_PURGE_MADVISE_FREE'), false);
    // A source whose configure found no MADV_FREE cannot make a madv-free build that differs.
    assert.throws(
      () => editDefines(file, recipeFor('madv-free')!),
      (e: unknown) => e instanceof SimloadError && e.code === 'ERR_BUILD_CHECK',
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('`simload build` with current builds rebuilds nothing; --list shows versions and flags', () => {
  const before = ['madv-free', 'no-madv-free'].map((n) => readBuildRecord(n)!.builtAt);
  const r = spawnSync(process.execPath, [BIN, 'build'], { encoding: 'utf8', timeout: 60_000 });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /built: \(none\); up to date: madv-free, no-madv-free/);
  assert.deepEqual(
    ['madv-free', 'no-madv-free'].map((n) => readBuildRecord(n)!.builtAt),
    before,
  );
  const l = spawnSync(process.execPath, [BIN, 'build', '--list'], { encoding: 'utf8', timeout: 30_000 });
  assert.equal(l.status, 0, l.stderr);
  assert.match(l.stdout, /^madv-free\s+built\s+5\.\d+\.\d+/m);
  assert.match(l.stdout, /config\.cache: je_cv_madv_free=no/);
  assert.match(l.stdout, /configure --with-jemalloc-prefix=je_ --disable-initial-exec-tls/);
  assert.match(l.stdout, /^glibc\s+built\s+glibc \d/m);
});

test('a JEMALLOC_SRC that is not a jemalloc source is a clear error', () => {
  const r = spawnSync(process.execPath, [BIN, 'build'], {
    encoding: 'utf8',
    timeout: 30_000,
    env: { ...process.env, JEMALLOC_SRC: '/nonexistent/jemalloc' },
  });
  assert.equal(r.status, 3);
  assert.match(r.stderr, /JEMALLOC_SRC=\/nonexistent\/jemalloc does not exist/);
  const dir = mkdtempSync(join(tmpdir(), 'simload-notsrc-'));
  try {
    const t = spawnSync(process.execPath, [BIN, 'build'], {
      encoding: 'utf8',
      timeout: 30_000,
      env: { ...process.env, JEMALLOC_SRC: dir },
    });
    assert.equal(t.status, 3);
    assert.match(t.stderr, /is not a jemalloc source tree/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
