// What a resumed watch does to its folder before appending: a torn last line dropped, the last record found.
import assert from 'node:assert/strict';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { dropTornLine, lastLine } from '../../src/results/reopen.js';

test('dropTornLine cuts back to the last newline; lastLine reads the last whole record, however long', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'simload-reopen-'));
  const f = join(dir, 'x.ndjson');
  const long = JSON.stringify({ t: 2, pad: 'y'.repeat(200_000) });
  await writeFile(f, `{"t":1}\n${long}\n{"t":3,"wa`);
  assert.equal(await dropTornLine(f), '{"t":3,"wa'.length);
  assert.equal(await readFile(f, 'utf8'), `{"t":1}\n${long}\n`);
  assert.equal(await dropTornLine(f), 0, 'a whole file is left as it is');
  assert.equal(await lastLine(f), long);
  await writeFile(f, '{"t":1}\n\n\n');
  assert.equal(await lastLine(f), '{"t":1}');
  await writeFile(f, 'no newline at all');
  assert.equal(await dropTornLine(f), 17);
  assert.equal(await lastLine(f), null);
  assert.equal(await dropTornLine(join(dir, 'absent')), 0);
});
