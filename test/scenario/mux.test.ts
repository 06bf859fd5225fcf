// load.players_per_connection: resolved with its default, checked against the server's channel limit, with
// file:line:col errors like every scenario key.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseScenario } from '../../src/scenario/load.js';
import { ScenarioError } from '../../src/scenario/problems.js';

const BASE = `name: t
variants:
  - name: a
    build: glibc
load:
  bot_workers: 2
  phases:
    - ramp: { to: 100, over: 10s }
`;

function withPerConn(v: string): string {
  return BASE.replace('  bot_workers: 2\n', `  bot_workers: 2\n  players_per_connection: ${v}\n`);
}

function problems(text: string): string[] {
  try {
    parseScenario(text, 'mux.yaml');
  } catch (err) {
    assert.ok(err instanceof ScenarioError, `expected ScenarioError, got ${String(err)}`);
    return err.problems.map((p) => `${p.line}:${p.col} ${p.path}: ${p.message}`);
  }
  assert.fail('the scenario was accepted');
}

test('players_per_connection: default 1, a given count is kept', () => {
  assert.equal(parseScenario(BASE, 'mux.yaml').load.playersPerConnection, 1);
  assert.equal(parseScenario(withPerConn('1000'), 'mux.yaml').load.playersPerConnection, 1000);
  assert.equal(parseScenario(withPerConn('4096'), 'mux.yaml').load.playersPerConnection, 4096);
});

test('players_per_connection: bad values are located and explained', () => {
  assert.deepEqual(problems(withPerConn('0')), ['7:27 load.players_per_connection: must be >= 1, got 0']);
  assert.deepEqual(problems(withPerConn('2.5')), [
    '7:27 load.players_per_connection: expected a whole number of players per connection, 1 or more',
  ]);
  assert.deepEqual(problems(withPerConn('many')), [
    '7:27 load.players_per_connection: expected a whole number of players per connection, 1 or more',
  ]);
  assert.deepEqual(problems(withPerConn('5000')), [
    "7:27 load.players_per_connection: must be at most 4096 (the server's maxChannelsPerConnection), got 5000",
  ]);
  assert.deepEqual(problems(BASE.replace('  bot_workers: 2\n', '  bot_workers: 2\n  players_per_conection: 10\n')), [
    '7:3 load.players_per_conection: unknown key "players_per_conection" (did you mean "players_per_connection"?)',
  ]);
});
