// A run folder read back with bad records in it: a samples line that is JSON but no sample is skipped and
// counted, a sample of a variant the run did not have adds no column, and a run.json with wrong types is a
// usage error naming the field, never a TypeError.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { appendFile, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { loadRun, samplesByVariant } from '../../src/analysis/load.js';
import { UsageError } from '../../src/errors.js';
import { FIXTURE_DIR, fixtureCopy } from '../helpers/run-fixture.js';
import { readNdjson } from '../helpers/ndjson.js';

const BIN = join(process.cwd(), 'bin', 'simload.js');

test('a samples line that is null (or a number, a list) is skipped and counted; the folder still reads', async () => {
  const whole = await loadRun(FIXTURE_DIR);
  const dir = await fixtureCopy();
  await appendFile(join(dir, 'samples.ndjson'), 'null\n42\n[1,2]\n"text"\n');
  const got = await loadRun(dir);
  assert.equal(got.samples.length, whole.samples.length);
  assert.equal(got.skippedLines, whole.skippedLines + 4);
});

test('a sample naming a variant the run did not have is skipped: no phantom column', async () => {
  const dir = await fixtureCopy();
  const first = readNdjson<object>(join(dir, 'samples.ndjson'))[0]!;
  await appendFile(join(dir, 'samples.ndjson'), JSON.stringify({ ...first, variant: 'phantom' }) + '\n');
  const got = await loadRun(dir);
  assert.deepEqual([...new Set(got.samples.map((s) => s.variant))].sort(), ['glibc', 'madv-free', 'no-madv-free']);
  const r = spawnSync(process.execPath, [BIN, 'report', dir, '--json'], { encoding: 'utf8', timeout: 60_000 });
  const summary = JSON.parse(r.stdout) as { variants: Array<{ variant: string }> };
  assert.deepEqual(
    summary.variants.map((v) => v.variant),
    ['madv-free', 'no-madv-free', 'glibc'],
  );
});

test('run.json with wrong types: exit 2 naming each field, no TypeError', async () => {
  for (const [edit, fields] of [
    [(m: Record<string, unknown>) => ({ ...m, variants: 5 }), ['variants']],
    [(m: Record<string, unknown>) => ({ ...m, status: 7, validity: { valid: 'yes' } }), ['status', 'validity']],
    [() => [1, 2], ['expected an object']],
  ] as Array<[(m: Record<string, unknown>) => unknown, string[]]>) {
    const dir = await fixtureCopy();
    const meta = JSON.parse(await readFile(join(dir, 'run.json'), 'utf8')) as Record<string, unknown>;
    await writeFile(join(dir, 'run.json'), JSON.stringify(edit(meta)));
    await assert.rejects(loadRun(dir), (e: unknown) => e instanceof UsageError && e.code === 'ERR_RUN_FILE');
    const r = spawnSync(process.execPath, [BIN, 'report', dir], { encoding: 'utf8', timeout: 60_000 });
    assert.equal(r.status, 2, r.stderr);
    assert.doesNotMatch(r.stderr, /TypeError|unexpected failure/);
    for (const f of fields) assert.match(r.stderr, new RegExp(`\\b${f}\\b`));
  }
});

test("samples per variant: run.json's order first, then as first seen; each sorted by time; none without samples", async () => {
  const run = await loadRun(FIXTURE_DIR);
  const [first, second] = run.meta!.variants;
  const at = (variant: string, t: number) => ({ ...run.samples[0]!, variant, t });
  const samples = [at(second!, 9), at('extra', 5), at(second!, 3), at('late', 1), at(second!, 6)];
  const by = samplesByVariant({ meta: run.meta, samples });
  assert.deepEqual([...by.keys()], [second, 'extra', 'late']);
  assert.deepEqual(
    by.get(second!)!.map((s) => s.t),
    [3, 6, 9],
  );
  assert.equal(by.has(first!), false);
});
