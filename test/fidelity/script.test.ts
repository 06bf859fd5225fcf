// Which agent script the skynet side runs: --script, else the scenario's server.script as loaded (resolved to
// an object by the scenario loader; the skynet side once fell back to the test fixture because of that).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join, resolve } from 'node:path';
import { agentScript } from '../../src/fidelity/script.js';
import { loadScenario } from '../../src/scenario/load.js';

test('a loaded scenario gives its own server.script to the skynet side; --script overrides it', async () => {
  const { scenario } = await loadScenario(join(process.cwd(), 'scenarios', 'ramp.yaml'));
  assert.equal(typeof scenario.server.script, 'object', 'the loader resolves server.script');
  assert.equal(agentScript(scenario, undefined), resolve('scenarios', 'agents', 'rpg.lua'));
  const other = join(process.cwd(), 'test', 'fidelity', 'fixtures', 'bag.lua');
  assert.equal(agentScript(scenario, other), other);
});
