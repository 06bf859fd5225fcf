// Where a run's agent VMs held their prototypes, from the samples: read at the sample with the most live VMs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { LuaCodeStats, Sample } from '../../src/results/sample.js';
import { luaCodeSummary } from '../../src/analysis/lua-code.js';
import { formatLuaCode } from '../../src/report/table.js';
import { holdSample } from '../helpers/sample.js';

function sample(t: number, vms: number | null, code: LuaCodeStats): Sample {
  return holdSample(t, vms === null ? {} : { lua: { vms, code } });
}

test('shared prototypes: the cache once, spread over the VMs at the peak', () => {
  const code = (cacheBytes: number): LuaCodeStats => ({ model: 'shared', cacheBytes, heapBytes: 0 });
  const c = luaCodeSummary([
    sample(0, 0, code(0)),
    sample(1, 1000, code(200_000)),
    sample(2, 300, code(200_000)),
    sample(3, null, code(0)),
  ]);
  assert.deepEqual(c, { model: 'shared', vms: 1000, cacheBytes: 200_000, heapBytes: 0, perVm: 200 });
  assert.equal(formatLuaCode(c), 'shared, 195.3 KiB once');
});

test("a copy per VM: the code heap's share of each VM at the peak", () => {
  const code = (heapBytes: number): LuaCodeStats => ({ model: 'per-vm', cacheBytes: 0, heapBytes });
  const c = luaCodeSummary([
    sample(0, 10, code(700_000)),
    sample(1, 100, code(7_000_000)),
    sample(2, 50, code(3_500_000)),
  ]);
  assert.equal(c?.perVm, 70_000);
  assert.equal(c?.vms, 100);
  assert.match(formatLuaCode(c), /^per VM, 68\.4 KiB each$/);
  assert.equal(formatLuaCode(luaCodeSummary([sample(0, 5, code(0))])), 'per VM, none loaded');
});

test('no Lua agents: no summary, a dash in the table', () => {
  assert.equal(luaCodeSummary([sample(0, null, { model: 'shared', cacheBytes: 0, heapBytes: 0 })]), null);
  assert.equal(formatLuaCode(null), '-');
});
