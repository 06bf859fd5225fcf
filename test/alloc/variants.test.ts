// Which library a variant means, and the environment a child needs for it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { detectPrefix, listBuilds, resolveVariant, variantEnv } from '../../src/alloc/variants.js';
import { SimloadError } from '../../src/errors.js';
import { variantLib } from '../../src/native/paths.js';
import { requireBuilds } from './builds.js';

requireBuilds('madv-free', 'no-madv-free');
const DEBIAN = '/usr/lib/x86_64-linux-gnu/libjemalloc.so.2';
const code = (c: string) => (e: unknown) => e instanceof SimloadError && e.code === c;

test('builds resolve to their library with the je_ prefix and JE_MALLOC_CONF', () => {
  const r = resolveVariant({ name: 'x', build: 'no-madv-free' });
  assert.deepEqual(
    { ...r, version: null },
    {
      name: 'x',
      kind: 'jemalloc',
      libPath: variantLib('no-madv-free'),
      prefix: 'je_',
      confEnvVar: 'JE_MALLOC_CONF',
      version: null,
    },
  );
  assert.match(r.version ?? '', /^5\.\d+\.\d+/);
  const g = resolveVariant({ name: 'g', build: 'glibc' });
  assert.equal(g.kind, 'glibc');
  assert.equal(g.libPath, null);
  assert.match(g.version ?? '', /^glibc \d+\.\d+/);
});

test('bad variants are usage errors that say why', () => {
  assert.throws(() => resolveVariant({ name: 'x', build: 'nope' }), code('ERR_UNKNOWN_BUILD'));
  assert.throws(() => resolveVariant({ name: 'x', lib: '/no/such/libjemalloc.so' }), code('ERR_NO_LIB'));
  assert.throws(() => resolveVariant({ name: 'x' }), code('ERR_VARIANT'));
  assert.throws(() => resolveVariant({ name: 'x', build: 'madv-free', lib: DEBIAN }), code('ERR_VARIANT'));
  assert.throws(() => resolveVariant({ name: 'x', build: 'glibc', mallocConf: 'narenas:1' }), code('ERR_MALLOC_CONF'));
  assert.throws(
    () => resolveVariant({ name: 'x', build: 'madv-free', mallocConf: 'narenas=1' }),
    code('ERR_MALLOC_CONF'),
  );
});

test('variantEnv: conf in the variable the library reads, LD_PRELOAD for a user library, extra env last', () => {
  assert.deepEqual(variantEnv({ name: 'x', build: 'madv-free', mallocConf: 'dirty_decay_ms:1' }), {
    JE_MALLOC_CONF: 'dirty_decay_ms:1',
  });
  assert.deepEqual(variantEnv({ name: 'x', build: 'glibc', env: { MALLOC_ARENA_MAX: '1' } }), {
    MALLOC_ARENA_MAX: '1',
  });
  const lib = variantLib('madv-free');
  assert.deepEqual(variantEnv({ name: 'x', lib, mallocConf: 'narenas:2' }), {
    JE_MALLOC_CONF: 'narenas:2',
    LD_PRELOAD: lib,
  });
  assert.deepEqual(variantEnv({ name: 'x', lib, prefix: 'none', mallocConf: 'narenas:2' }), {
    MALLOC_CONF: 'narenas:2',
    LD_PRELOAD: lib,
  });
});

test('the prefix of a user library is detected from its symbols', () => {
  assert.equal(detectPrefix(variantLib('madv-free')), 'je_');
  assert.equal(detectPrefix('/lib/x86_64-linux-gnu/libc.so.6'), '');
});

test(
  "Debian's libjemalloc.so.2 resolves unprefixed, reading MALLOC_CONF",
  { skip: !existsSync(DEBIAN) && 'libjemalloc2 not installed' },
  () => {
    const r = resolveVariant({ name: 'deb', lib: DEBIAN });
    assert.equal(r.prefix, '');
    assert.equal(r.confEnvVar, 'MALLOC_CONF');
  },
);

test('listBuilds lists every build with its flags', () => {
  const b = listBuilds();
  assert.deepEqual(
    b.map((x) => x.name),
    ['madv-free', 'no-madv-free', 'glibc'],
  );
  for (const x of b.slice(0, 2)) {
    assert.equal(x.built, true);
    assert.ok(x.configureFlags.includes('--with-jemalloc-prefix=je_'));
    assert.ok(x.configureFlags.includes('--disable-initial-exec-tls'));
  }
});
