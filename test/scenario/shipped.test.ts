// What the shipped scenarios and the fidelity scenarios assume by default, read through the loader as a user's
// run reads them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { packageRoot } from '../../src/native/paths.js';
import { loadScenario } from '../../src/scenario/load.js';

async function shipped(): Promise<string[]> {
  const scenarios = (await readdir(join(packageRoot, 'scenarios'))).filter((f) => f.endsWith('.yaml')).map((f) => join(packageRoot, 'scenarios', f));
  const bench = (await readdir(join(packageRoot, 'bench'))).filter((f) => /^fidelity-.*\.yaml$/.test(f)).map((f) => join(packageRoot, 'bench', f));
  return [...scenarios, ...bench];
}

test('free_first_workers is 0 in every shipped scenario and fidelity scenario: stuck arenas come from a watch of the user\'s server', async () => {
  // The 5.0.1 scenarios take their source from the environment; the loader only needs a path.
  process.env['SIMLOAD_JEMALLOC_5_0_1'] ??= join(packageRoot, '..', 'shared', 'vendor', 'jemalloc-5.0.1.tar.bz2');
  const files = await shipped();
  assert.ok(files.length >= 10, files.join(', '));
  const values = await Promise.all(files.map(async (f) => [f.slice(packageRoot.length + 1), (await loadScenario(f)).scenario.server.freeFirstWorkers ?? 0] as const));
  assert.deepEqual(values.filter(([, n]) => n !== 0), []);
});
