// native/shim.h declares the shim's codes and functions once: the TypeScript bridge's constants (src/alloc/shim.ts,
// src/server/lua-vm.ts) and koffi declarations must say the same, or a code or an argument is misread at run time.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { SL } from '../../src/alloc/shim.js';
import { SLA } from '../../src/server/lua-vm.js';

const root = (p: string) => fileURLToPath(new URL(`../../../${p}`, import.meta.url));
const header = readFileSync(root('native/shim.h'), 'utf8');

function headerCodes(): Map<string, number> {
  const codes = new Map<string, number>();
  for (const m of header.matchAll(/^#define (SL_(?:OK|ERR_[A-Z_]+)) (-?\d+)$/gm)) codes.set(m[1]!, Number(m[2]));
  return codes;
}

/** SL_ERR_BAD_HANDLE -> badHandle, SL_OK -> ok. */
function camel(name: string): string {
  const words = name
    .replace(/^SL_(ERR_)?/, '')
    .toLowerCase()
    .split('_');
  return words.map((w, i) => (i === 0 ? w : w[0]!.toUpperCase() + w.slice(1))).join('');
}

/** `int sl_free(double h)` -> `int sl_free(double)`: types only, koffi's direction markers dropped. */
function signature(decl: string): string {
  const m = /^\s*(.+?)\s*\b(sl_\w+)\s*\((.*)\)\s*;?\s*$/.exec(decl.replace(/\s+/g, ' '));
  assert.ok(m, `not a declaration: ${decl}`);
  const params =
    m[3]!.trim() === 'void'
      ? []
      : m[3]!.split(',').map((p) =>
          p
            .replace(/\b_Out_\b/g, '')
            .trim()
            .replace(/\s*\b\w+$/, '')
            .replace(/\s*\*\s*/g, ' *')
            .trim(),
        );
  return `${m[1]!.replace(/\s*\*\s*/g, ' *').trim()} ${m[2]}(${params.join(', ')})`;
}

test('every SL_ code in shim.h has the same value in the TypeScript bridge, and the bridge has no other', () => {
  const codes = headerCodes();
  assert.ok(codes.size >= 10, `only ${codes.size} codes read from shim.h`);
  const bridge = new Map(Object.entries(SL));
  for (const [name, value] of codes) {
    if (name === 'SL_ERR_SCRIPT') continue; // the agent library's, checked below
    assert.equal(bridge.get(camel(name)), value, `${name} in src/alloc/shim.ts`);
  }
  assert.equal(bridge.size, codes.size - 1, 'src/alloc/shim.ts names a code shim.h does not have');
  for (const [name, value] of Object.entries(SLA)) {
    const c = codes.get(name === 'ok' ? 'SL_OK' : `SL_ERR_${name.replace(/[A-Z]/g, (x) => `_${x}`).toUpperCase()}`);
    assert.equal(c, value, `SLA.${name} in src/server/lua-vm.ts`);
  }
});

test('the koffi declarations of src/alloc/shim.ts are the prototypes of shim.h', () => {
  const declared = new Map<string, string>();
  for (const m of header.matchAll(/^[a-z].*\b(sl_\w+)\(.*\);$/gm)) declared.set(m[1]!, signature(m[0]));
  const bridge = readFileSync(root('src/alloc/shim.ts'), 'utf8');
  const used = [...bridge.matchAll(/lib\.func\(\s*'([^']+)'\s*,?\s*\)/g)].map((m) => signature(m[1]!));
  assert.ok(used.length >= 15, `only ${used.length} koffi declarations read`);
  for (const sig of used) {
    const name = /\b(sl_\w+)\(/.exec(sig)![1]!;
    assert.equal(sig, declared.get(name), `${name}: koffi and shim.h disagree`);
  }
  // Everything the header exports is bound, except what only the agent library calls.
  const bound = new Set(used.map((s) => /\b(sl_\w+)\(/.exec(s)![1]));
  assert.deepEqual(
    [...declared.keys()].filter((n) => !bound.has(n)),
    ['sl_target_fn'],
  );
});
