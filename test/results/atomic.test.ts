// Whole files replaced at once: the one atomic write under run.json, the report's files and fidelity's record.
// A reader sees the old text or the new, never a mix; a failed write leaves no temporary and says why.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { writeFileAtomic } from '../../src/results/atomic.js';

test('writeFileAtomic replaces a file whole and leaves no temporary', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'simload-atomic-'));
  const file = join(dir, 'run.json');
  writeFileSync(file, 'old\n');
  const text = 'x'.repeat(1 << 20);
  await writeFileAtomic(file, text);
  assert.equal(readFileSync(file, 'utf8'), text);
  assert.deepEqual(readdirSync(dir), ['run.json']);
});

test('writeFileAtomic: a write that fails throws the system error and leaves no temporary', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'simload-atomic-'));
  // The temporary is written, the rename onto a folder fails: the temporary must go.
  mkdirSync(join(dir, 'summary.json'));
  await assert.rejects(writeFileAtomic(join(dir, 'summary.json'), '{}\n'), (e: NodeJS.ErrnoException) =>
    ['EISDIR', 'ENOTEMPTY', 'EEXIST'].includes(e.code ?? ''),
  );
  assert.deepEqual(readdirSync(dir), ['summary.json']);
  // No folder to write in: the temporary cannot even be made.
  await assert.rejects(writeFileAtomic(join(dir, 'none', 'x.json'), '{}\n'), { code: 'ENOENT' });
  assert.deepEqual(readdirSync(dir), ['summary.json']);
});
