// malloc_conf syntax, checked before jemalloc sees it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { expectedOpts, parseMallocConf } from '../../src/alloc/conf.js';
import { UsageError } from '../../src/errors.js';

test('well-formed confs parse into pairs', () => {
  assert.deepEqual(parseMallocConf(''), []);
  assert.deepEqual(parseMallocConf('dirty_decay_ms:0,muzzy_decay_ms:-1,background_thread:true'), [
    { key: 'dirty_decay_ms', value: '0' },
    { key: 'muzzy_decay_ms', value: '-1' },
    { key: 'background_thread', value: 'true' },
  ]);
  assert.deepEqual(expectedOpts('narenas:4,dirty_decay_ms:5,dirty_decay_ms:7'), { narenas: 4, dirtyDecayMs: 7 });
});

test('malformed confs are UsageErrors that quote the conf and say why', () => {
  const cases: Array<[string, RegExp]> = [
    ['dirty_decay_ms=5', /not key:value/],
    ['dirty_decay_ms:', /has no value/],
    ['dirty_decay_ms:10,', /trailing comma/],
    [',narenas:2', /starts with a comma/],
    ['dirty-decay:1', /not key:value/],
    ['dirty_decay_ms:soon', /integer number of milliseconds/],
    ['muzzy_decay_ms:-2', />= -1/],
    ['narenas:0', /positive integer/],
    ['background_thread:yes', /true or false/],
  ];
  for (const [conf, why] of cases) {
    assert.throws(
      () => parseMallocConf(conf),
      (e: unknown) =>
        e instanceof UsageError &&
        e.code === 'ERR_MALLOC_CONF' &&
        e.message.includes(`"${conf}"`) &&
        why.test(e.message),
      conf,
    );
  }
});
