// The agent library's VM handles (native/handles.c, the table the allocator shim uses too): a closed VM's handle,
// a number that was never a handle and a stale handle of a reused slot are SLA.badHandle, never a crash, and
// sla_live counts the VMs. In process, over the madv-free build; bare sandbox VMs, no server.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Allocator } from '../../src/alloc/allocator.js';
import { attachLua, LuaFn, SLA } from '../../src/server/lua-vm.js';
import { VARIANTS } from './client.js';

Allocator.load(VARIANTS['madv-free']!);
const f = attachLua();
const SRC = Buffer.from(
  "function login(id) keep = string.rep('x', 16384 * (id % 8)) end\nfunction message(n) end\n",
  'utf8',
);

function vmNew(): number {
  const h = f.vmNew(SRC, SRC.length, 'handles.lua', 1_000_000, 2 ** 20, 1, '');
  assert.ok(h >= 0, `sla_vm_new: ${f.lastError()}`);
  return h;
}

/** Every handle use answers "bad handle" for h. */
function dead(h: number): void {
  assert.equal(f.vmBytes(h), SLA.badHandle, `sla_vm_bytes(${h})`);
  assert.equal(f.call(h, LuaFn.login, 1, 0), SLA.badHandle, `sla_call(${h})`);
  assert.equal(f.vmClose(h), SLA.badHandle, `sla_vm_close(${h})`);
}

test('a closed VM, a foreign number and a stale handle of a reused slot are a bad handle; sla_live counts VMs', () => {
  const base = f.live();
  const h = vmNew();
  assert.equal(f.live(), base + 1);
  assert.ok(f.vmBytes(h) > 0);
  assert.ok(f.call(h, LuaFn.login, 7, 0) > 0, f.lastError());
  // never handles: negative, NaN, fractional (also one that truncates to h), past the generation's range
  for (const foreign of [-1, Number.NaN, 1.5, h + 0.5, 0, 12345, 2 ** 60]) dead(foreign);
  assert.equal(f.vmClose(h), SLA.ok);
  assert.equal(f.live(), base);
  dead(h);
  // the freed slot comes back with the next generation (gen * 2^32 + index): the old number stays dead
  const again = vmNew();
  assert.equal(again, h + 2 ** 32);
  dead(h);
  assert.ok(f.vmBytes(again) > 0);
  assert.equal(f.vmClose(again), SLA.ok);
  assert.equal(f.live(), base);
});

test('the table grows past its first 1024 slots and every handle stays its own VM', () => {
  const base = f.live();
  const hs = Array.from({ length: 1100 }, () => vmNew());
  assert.equal(new Set(hs).size, hs.length);
  assert.equal(f.live(), base + hs.length);
  // VM i keeps a string of 16 KiB x (i % 8), so each handle's bytes say which VM it reached (GC noise: a few KiB)
  const bytes = hs.map((h, i) => f.call(h, LuaFn.login, i, 0));
  bytes.forEach((b, i) => {
    const extra = b - bytes[0]!;
    assert.ok(
      Math.abs(extra - 16384 * (i % 8)) < 6144,
      `VM ${i}: ${extra} B beyond VM 0's, for a ${16384 * (i % 8)} B string`,
    );
    assert.equal(f.vmBytes(hs[i]!), b);
  });
  // close every other VM: the rest still answer, the closed ones are dead
  hs.forEach((h, i) => i % 2 === 0 && assert.equal(f.vmClose(h), SLA.ok));
  hs.forEach((h, i) => (i % 2 === 0 ? dead(h) : assert.equal(f.vmBytes(h), bytes[i])));
  hs.forEach((h, i) => i % 2 === 1 && assert.equal(f.vmClose(h), SLA.ok));
  assert.equal(f.live(), base);
});
