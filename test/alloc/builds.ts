// Test helper (not a test): the real builds must exist; they are made by `npm install`.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { shimLib, variantLib } from '../../src/native/paths.js';

export const BIN = fileURLToPath(new URL('../../../bin/simload.js', import.meta.url));

export function requireBuilds(...names: string[]): void {
  for (const n of names) {
    assert.ok(
      existsSync(variantLib(n)),
      `jemalloc build ${n} is missing (${variantLib(n)}): run \`npm install\` (or \`simload build\`) first`,
    );
  }
  assert.ok(existsSync(shimLib), `the allocator shim is missing (${shimLib}): run \`npm install\` first`);
}
