// Top growers between marks from the bounded per-service lists a watch keeps: exact when every list holds all
// services, a lower bound when a service was below a list, exited services' C memory at the end, the spans.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { attributionSummary } from '../../src/analysis/growers.js';
import type { CmemGroup, Sample } from '../../src/results/sample.js';

type Svc = [address: string, name: string, bytes: number];

function group(list: Svc[], count = list.length, bytes?: number): CmemGroup {
  return {
    count,
    bytes: bytes ?? list.reduce((a, s) => a + s[2], 0),
    top: list.map(([address, name, b]) => ({ address, name, bytes: b })),
  };
}

function reading(
  t: number,
  phaseIndex: number,
  phase: string,
  o: { mem: Svc[]; luaServices?: number; live?: CmemGroup; exited?: CmemGroup; unlisted?: CmemGroup },
): Sample {
  const luaTotal = o.mem.reduce((a, s) => a + s[2], 0);
  return {
    v: 1,
    variant: 'w',
    t,
    wall: t,
    phaseIndex,
    phase,
    target: 1,
    online: 0,
    proc: { rss: 1, lazyFree: 0, anonymous: 1, anonHugePages: 0, vmHWM: 1 },
    alloc: null,
    runtime: null,
    skynet: {
      consoleMs: 1,
      luaTotal,
      luaServices: o.luaServices ?? o.mem.length,
      top: o.mem.map(([address, name, bytes]) => ({ address, name, bytes })),
      luaRest: 0,
      cmem: {
        total: 0,
        blocks: 0,
        live: o.live ?? group([]),
        exited: o.exited ?? group([]),
        unlisted: o.unlisted ?? group([]),
      },
    },
  };
}

test('complete lists: exact growth of Lua + C memory; an exited service keeps its C memory and is flagged', () => {
  const a = reading(0, -1, 'baseline', {
    mem: [
      [':0a', 'snlua agent', 100],
      [':0b', 'snlua b', 50],
      [':0c', 'snlua leaker', 30],
    ],
    live: group([
      [':0a', 'snlua agent', 10],
      [':0b', 'snlua b', 5],
      [':0c', 'snlua leaker', 20],
    ]),
  });
  const b = reading(1000, -1, 'baseline', {
    mem: [
      [':0a', 'snlua agent', 1100],
      [':0b', 'snlua b', 50],
    ],
    live: group([[':0b', 'snlua b', 5]]),
    exited: group([[':0c', 'snlua leaker', 500]]),
  });
  const s = attributionSummary([a, b])!;
  assert.equal(s.readings, 2);
  assert.equal(s.spans.length, 1);
  assert.deepEqual(
    s.spans[0]!.services.map((g) => [g.address, g.name, g.from, g.to, g.growth, g.exact, g.cmem, g.exited]),
    [
      [':0a', 'snlua agent', 110, 1100, 990, true, 0, false],
      [':0c', 'snlua leaker', 50, 500, 450, true, 500, true],
    ],
  );
  assert.deepEqual(s.last.exited.top, [{ address: ':0c', name: 'snlua leaker', bytes: 500 }]);
});

test('a service below a list: its start is the smallest listed, its growth a lower bound', () => {
  const a = reading(0, 0, 'up', { mem: [[':01', 'snlua big', 1000]], luaServices: 3 });
  const b = reading(1000, 1, 'peak', { mem: [[':02', 'snlua grower', 5000]], luaServices: 3 });
  const g = attributionSummary([a, b])!.spans[0]!.services;
  assert.deepEqual(
    g.map((x) => [x.address, x.from, x.growth, x.exact]),
    [[':02', 1000, 4000, false]],
  );
  // Below the C list too (3 live handles, 1 named): the bound adds up.
  const a2 = reading(0, 0, 'up', {
    mem: [[':01', 'snlua big', 1000]],
    luaServices: 3,
    live: group([[':01', 'snlua big', 300]], 3, 400),
  });
  assert.equal(attributionSummary([a2, b])!.spans[0]!.services[0]!.growth, 5000 - 1000 - 300);
});

test('spans: between consecutive marks, from the peak to the end, the whole watch; no reading, no summary', () => {
  const r = (t: number, i: number, p: string, bytes: number) => reading(t, i, p, { mem: [[':0a', 'snlua a', bytes]] });
  const s = attributionSummary([
    r(0, -1, 'baseline', 10),
    r(1, 0, 'up', 10),
    r(2, 0, 'up', 20),
    r(3, 1, 'peak', 30),
    r(4, 2, 'quiet', 35),
    r(5, 2, 'quiet', 45),
  ])!;
  assert.deepEqual(
    s.spans.map((x) => [x.from, x.to, x.fromMs, x.toMs, x.services[0]?.growth ?? 0]),
    [
      ['baseline', 'up', 0, 1, 0],
      ['up', 'peak', 1, 3, 20],
      ['peak', 'quiet', 3, 4, 5],
      ['quiet', 'end', 4, 5, 10],
      ['peak', 'end', 3, 5, 15],
      ['baseline', 'end', 0, 5, 35],
    ],
  );
  const noCmem = r(0, -1, 'baseline', 1);
  delete noCmem.skynet!.cmem;
  assert.equal(attributionSummary([noCmem]), null);
});
