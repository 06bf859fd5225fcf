// server.script in a scenario: resolved relative to the file, checked in a sandboxed VM, limits applied.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseScenario } from '../../src/scenario/load.js';

const dir = mkdtempSync(join(tmpdir(), 'simload-script-'));
writeFileSync(
  join(dir, 'ok.lua'),
  'local s\nfunction login(id) s = { id = id } end\nfunction message(n) s.n = n end\n',
);
const tail = 'variants: [{ name: g, build: glibc }]\nload: { phases: [ { ramp: { to: 10, over: 1s } } ] }\n';

function parse(server: string): ReturnType<typeof parseScenario> {
  const file = join(dir, 's.yaml');
  return parseScenario(`name: s\nserver:\n${server}${tail}`, file);
}

test('script: relative to the scenario file; Lua model with the default limits', () => {
  const s = parse('  script: ok.lua\n');
  assert.equal(s.server.agentModel, 'lua');
  assert.equal(s.server.script?.source.includes('function login'), true);
  assert.equal(s.server.script?.maxInstructions, 10_000_000);
  assert.equal(s.server.script?.maxMemoryBytes, 64 * 2 ** 20);
  const t = parse('  script: ok.lua\n  script_limits: { instructions: 50000, memory: 8MiB }\n');
  assert.equal(t.server.script?.maxInstructions, 50_000);
  assert.equal(t.server.script?.maxMemoryBytes, 8 * 2 ** 20);
});

test('a missing script, limits without a script, synthetic keys beside a script: located problems', () => {
  assert.throws(
    () => parse('  script: nope.lua\n'),
    /s\.yaml:3:11 server\.script: cannot read the agent script .*nope\.lua: no such file/,
  );
  assert.throws(
    () => parse('  script_limits: { memory: 8MiB }\n'),
    /server\.script_limits: only applies with `script:`/,
  );
  assert.throws(
    () => parse('  script: ok.lua\n  state: { objects: 10 }\n'),
    /s\.yaml:4:3 server\.state: only applies to the synthetic model/,
  );
  assert.throws(
    () => parse('  script: ok.lua\n  script_limits: { memory: 100KiB }\n'),
    /server\.script_limits\.memory: must be at least 1MiB/,
  );
});

test('the check runs the handlers: an error in message(2) is reported with the script line', () => {
  writeFileSync(
    join(dir, 'm2.lua'),
    'function login(id) end\nfunction message(n)\n  if n == 2 then error("second") end\nend\n',
  );
  assert.throws(() => parse('  script: m2.lua\n'), /server\.script: .*m2\.lua:3: second/);
});
