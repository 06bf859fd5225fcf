// What a skynet's console told and cost, from the samples a watch took: round trips, unanswered samples, the
// mallctls read through inject, and the samples where Lua memory peaked and ended.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { skynetConsole } from '../../src/analysis/skynet-console.js';
import type { Sample, SkynetSample } from '../../src/results/sample.js';
import { watchSample } from '../helpers/sample.js';

function read(t: number, s: Partial<SkynetSample>, o: Partial<Sample> = {}): Sample {
  return watchSample(t, 100, { skynet: { consoleMs: null, luaTotal: null, luaServices: 0, top: [], ...s }, ...o });
}

test('round trips over the answered samples, the Lua peak and the last mem reading', () => {
  const samples = [
    watchSample(0, 100),
    read(1000, { consoleMs: 4, luaTotal: 10, servicesMs: 30 }),
    read(2000, { consoleMs: 2, luaTotal: 50 }),
    read(3000, { consoleMs: null }),
    read(4000, { consoleMs: 9, luaTotal: 20, servicesMs: 10, mallctl: { 'opt.narenas': 8 } }),
    read(5000, { consoleMs: 3 }),
  ];
  const c = skynetConsole(samples)!;
  assert.equal(c.samples.length, 5);
  assert.deepEqual(c.roundTrip, { median: 3.5, max: 9, count: 4 });
  assert.equal(c.unanswered, 1);
  assert.deepEqual(c.serviceReads, { median: 20, max: 30, count: 2 });
  assert.deepEqual(c.mallctl, { 'opt.narenas': 8 });
  assert.equal(c.jmemOnly, false);
  assert.equal(c.luaPeak?.t, 2000);
  assert.equal(c.luaEnd?.t, 4000);
});

test('a console that never answered: no round trip, no Lua samples; none read: null', () => {
  const c = skynetConsole([read(0, {}), read(1000, {})])!;
  assert.equal(c.roundTrip, null);
  assert.equal(c.unanswered, 2);
  assert.equal(c.serviceReads, null);
  assert.equal(c.luaPeak, null);
  assert.equal(c.luaEnd, null);
  assert.equal(skynetConsole([watchSample(0, 100)]), null);
});

test("jemalloc's figures through jmem alone", () => {
  const jmem = { allocated: 1, active: 2, metadata: 0, resident: 3, mapped: 4, retained: 0, pdirty: 0, pmuzzy: 0 };
  const c = skynetConsole([
    read(0, { consoleMs: 1 }),
    read(1000, { consoleMs: 1 }, { alloc: { ...jmem, source: 'skynet-jmem' } }),
  ]);
  assert.equal(c?.jmemOnly, true);
  assert.equal(skynetConsole([read(0, { consoleMs: 1 }, { alloc: jmem })])?.jmemOnly, false);
});
