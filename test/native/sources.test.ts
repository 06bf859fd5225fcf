// Builds per jemalloc source: the 5.0.1 builds from ../shared/vendor (no --disable-initial-exec-tls in its
// configure), what build.json and the generated headers say, the load check, the cache, and how a variant
// finds its build.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { resolveVariant } from '../../src/alloc/variants.js';
import { SimloadError } from '../../src/errors.js';
import { DEFS_HEADER, loadCheck, planFor } from '../../src/native/jemalloc-build.js';
import { variantDir } from '../../src/native/paths.js';
import { recipeFor } from '../../src/native/recipes.js';
import { BIN, requireBuilds } from '../alloc/builds.js';
import { needsVendor, require501, VENDOR_501 } from './vendor.js';

requireBuilds('madv-free', 'no-madv-free');
const skip = needsVendor('jemalloc-5.0.1');
const built501 = require501();
/** Only read inside tests that skip without the vendored 5.0.1 source. */
const b501 = built501!;
const header = (name: string) => readFileSync(join(variantDir(name), 'src', DEFS_HEADER), 'utf8');
const defined = (text: string, macro: string) => new RegExp(`^\\s*#\\s*define\\s+${macro}\\b`, 'm').test(text);

test(
  '5.0.1 builds: initial-exec TLS dropped through config.cache, load-checked, in their own folders',
  { skip },
  () => {
    for (const [recipe, rec] of [
      ['madv-free', b501.madvFree],
      ['no-madv-free', b501.noMadvFree],
    ] as const) {
      assert.equal(rec.recipe, recipe);
      assert.equal(rec.version, '5.0.1');
      assert.match(rec.name, new RegExp(`^${recipe}-5\\.0\\.1-[0-9a-f]{8}$`));
      assert.equal(rec.tls, 'je_cv_tls_model=no');
      assert.ok(
        !rec.configureFlags.includes('--disable-initial-exec-tls'),
        '5.0.1 configure ignores the flag, so it is not passed',
      );
      assert.ok(rec.configCache.includes('je_cv_tls_model=no'));
      assert.match(rec.loadCheck?.version ?? '', /^5\.0\.1-/);
      const h = header(rec.name);
      assert.doesNotMatch(/^#define JEMALLOC_TLS_MODEL.*$/m.exec(h)?.[0] ?? '', /initial-exec/);
      assert.equal(rec.source.hash.length, 64);
    }
    assert.equal(defined(header(b501.madvFree.name), 'JEMALLOC_PURGE_MADVISE_FREE'), true);
    assert.equal(defined(header(b501.noMadvFree.name), 'JEMALLOC_PURGE_MADVISE_FREE'), false);
    // On 5.0.1 the cache line alone does it: nothing had to be removed from the header.
    assert.deepEqual(b501.noMadvFree.removedDefines, []);
    assert.ok(b501.noMadvFree.configCache.includes('je_cv_madv_free=no'));
  },
);

test('planFor reads what a source supports from its configure', { skip }, () => {
  const recipe = recipeFor('madv-free')!;
  const c501 = readFileSync(join(variantDir(b501.madvFree.name), 'src', 'configure'), 'utf8');
  const c530 = readFileSync(join(variantDir('madv-free'), 'src', 'configure'), 'utf8');
  assert.deepEqual(planFor(recipe, c501), {
    configureFlags: ['--with-jemalloc-prefix=je_', '--disable-cxx'],
    configCache: ['je_cv_tls_model=no'],
    tls: 'je_cv_tls_model=no',
  });
  assert.deepEqual(planFor(recipe, c530), {
    configureFlags: recipe.configureFlags,
    configCache: [],
    tls: 'disable-initial-exec-tls',
  });
});

test('the load check refuses a library that cannot be dlopen-ed through the shim', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'simload-loadcheck-'));
  try {
    const bogus = join(dir, 'libjemalloc.so.2');
    writeFileSync(bogus, 'not an ELF file');
    await assert.rejects(
      loadCheck(bogus, 'bogus', join(dir, 'log')),
      (e: unknown) =>
        e instanceof SimloadError &&
        e.code === 'ERR_BUILD_LOAD' &&
        /does not load into Node/.test(e.message) &&
        /bogus/.test(e.message),
    );
    // A jemalloc without the je_ prefix (Debian's, initial-exec TLS too) is no usable build either.
    const debian = '/usr/lib/x86_64-linux-gnu/libjemalloc.so.2';
    if (spawnSync('test', ['-f', debian]).status === 0) {
      await assert.rejects(
        loadCheck(debian, 'debian', join(dir, 'log')),
        (e: unknown) => e instanceof SimloadError && e.code === 'ERR_BUILD_LOAD',
      );
    }
    // The real builds pass it.
    assert.match(
      await loadCheck(join(variantDir('madv-free'), 'lib', 'libjemalloc.so.2'), 'x', join(dir, 'log')),
      /^5\.3\.0-/,
    );
    if (built501)
      assert.match(
        await loadCheck(join(variantDir(built501.madvFree.name), 'lib', 'libjemalloc.so.2'), 'x', join(dir, 'log')),
        /^5\.0\.1-/,
      );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a variant with `jemalloc:` finds the build of that source', { skip }, () => {
  const r = resolveVariant({ name: 'x', build: 'no-madv-free', jemalloc: VENDOR_501 });
  assert.equal(r.libPath, join(variantDir(b501.noMadvFree.name), 'lib', 'libjemalloc.so.2'));
  assert.match(r.version ?? '', /^5\.0\.1-/);
});

test('a variant without `jemalloc:` is the default build; an unbuilt source says how to build it', () => {
  assert.match(resolveVariant({ name: 'y', build: 'no-madv-free' }).version ?? '', /^5\.3\.0-/);
  const dir = mkdtempSync(join(tmpdir(), 'simload-src-'));
  try {
    mkdirSync(join(dir, 'src'));
    writeFileSync(join(dir, 'configure.ac'), 'AC_INIT\n');
    writeFileSync(join(dir, 'src', 'jemalloc.c'), '/* not built */\n');
    assert.throws(
      () => resolveVariant({ name: 'z', build: 'madv-free', jemalloc: dir }),
      (e: unknown) =>
        e instanceof SimloadError && e.code === 'ERR_NOT_BUILT' && e.message.includes(`simload build --source ${dir}`),
    );
    assert.throws(
      () => resolveVariant({ name: 'w', build: 'madv-free', jemalloc: join(dir, 'missing') }),
      (e: unknown) => e instanceof SimloadError && e.code === 'ERR_JEMALLOC_SOURCE',
    );
    assert.throws(
      () => resolveVariant({ name: 'v', lib: join(dir, 'configure.ac'), jemalloc: dir }),
      (e: unknown) => e instanceof SimloadError && e.code === 'ERR_VARIANT',
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('`simload build --source` is cached; `--list` shows the builds of every source', { skip }, () => {
  const t0 = Date.now();
  const b = spawnSync(process.execPath, [BIN, 'build', '--source', VENDOR_501], { encoding: 'utf8' });
  assert.equal(b.status, 0, b.stderr);
  assert.match(
    b.stdout,
    /built: \(none\); up to date: madv-free-5\.0\.1-[0-9a-f]{8}, no-madv-free-5\.0\.1-[0-9a-f]{8}/,
  );
  assert.ok(Date.now() - t0 < 20_000, 'a cached build does not rebuild');
  const l = spawnSync(process.execPath, [BIN, 'build', '--list', '--json'], { encoding: 'utf8' });
  assert.equal(l.status, 0, l.stderr);
  const list = JSON.parse(l.stdout) as Array<{
    name: string;
    built: boolean;
    record: { recipe?: string; version: string } | null;
  }>;
  const names = list.map((x) => x.name);
  for (const n of ['madv-free', 'no-madv-free', 'glibc', b501.madvFree.name, b501.noMadvFree.name])
    assert.ok(names.includes(n), `${n} in ${names.join(', ')}`);
  assert.equal(list.find((x) => x.name === b501.noMadvFree.name)!.record!.version, '5.0.1');
  const text = spawnSync(process.execPath, [BIN, 'build', '--list'], { encoding: 'utf8' }).stdout;
  assert.match(text, /initial-exec TLS dropped by je_cv_tls_model=no in config\.cache/);
});
