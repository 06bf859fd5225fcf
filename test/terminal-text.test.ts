// Names and messages from outside reach the terminal escaped: no NUL, escape sequence or bidi override is
// written raw by the CLI, on the error path and in a report, and JSON output stays the same JSON.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { terminalText } from '../src/terminal-text.js';
import { fixtureCopy } from './helpers/run-fixture.js';

const BIN = join(process.cwd(), 'bin', 'simload.js');
// eslint-disable-next-line no-control-regex -- finding control characters is what this pattern is for
const RAW = /[\x00-\x08\x0b-\x1f\x7f\u202a-\u202e\u2066-\u2069]/;

test('terminalText escapes controls and bidi characters, keeps newlines, tabs and ordinary text', () => {
  assert.equal(terminalText('a\u0000b\u202ec\x1b[31md\ne\tf é 中'), 'a\\x00b\\u202ec\\x1b[31md\ne\tf é 中');
  assert.equal(terminalText('\r\u2067\u200f\x9b\x7f'), '\\x0d\\u2067\\u200f\\x9b\\x7f');
});

test('a name with NUL, ESC and U+202E in an error and in a report: escaped on the terminal, JSON intact', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'simload-tty-'));
  const file = join(dir, 's.yaml');
  writeFileSync(
    file,
    'name: s\nvariants: [{ name: v, build: "glibc\\u202egpj.exe\\u0000\\e[2J" }]\nload: { phases: [ { ramp: { to: 10, over: 1s } } ] }\n',
  );
  const r = spawnSync(process.execPath, [BIN, 'run', file], { encoding: 'utf8', timeout: 60_000 });
  assert.equal(r.status, 2, r.stderr);
  assert.doesNotMatch(r.stderr, RAW);
  assert.match(r.stderr, /glibc\\u202egpj\.exe\\x00\\x1b\[2J/);

  const run = await fixtureCopy();
  const meta = JSON.parse(readFileSync(join(run, 'run.json'), 'utf8')) as Record<string, unknown>;
  const evil = 'ramp\u202e\u0000\x1b]0;owned\x07';
  writeFileSync(join(run, 'run.json'), JSON.stringify({ ...meta, scenario: evil }));
  for (const args of [[], ['--json']]) {
    const rep = spawnSync(process.execPath, [BIN, 'report', run, ...args], { encoding: 'utf8', timeout: 60_000 });
    assert.doesNotMatch(rep.stdout + rep.stderr, RAW, `report ${args.join(' ')}`);
    if (args.length)
      assert.equal((JSON.parse(rep.stdout) as { scenario?: string }).scenario, evil, 'the JSON holds the same string');
  }
});
