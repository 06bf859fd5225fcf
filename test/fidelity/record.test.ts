// What `simload fidelity` writes beside its tables: one JSON file per series, rewritten whole after each pair.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FidelityTable } from '../../src/analysis/fidelity.js';
import { fidelityRecordPath, writeFidelityRecord, type FidelityRecord } from '../../src/fidelity/record.js';

test('fidelity record: named by scenario and start time, every row with both sides, the ratio and the target', async () => {
  const dir = join(mkdtempSync(join(tmpdir(), 'simload-fidelity-')), 'out');
  const file = fidelityRecordPath(dir, 'ramp 3000/x', new Date(2026, 11, 7, 10, 5, 9));
  assert.equal(file, join(dir, 'ramp-3000-x-fidelity-20261207-100509.json'));
  const table: FidelityTable = {
    variant: 'madv-free',
    rows: [
      { metric: 'server CPU per 1 000 messages', unit: 'cpu-ms', simload: 61.5, skynet: 30, ratio: 2.05, spread: true },
      {
        metric: 'process Rss growth at the peak',
        unit: 'bytes',
        simload: 110,
        skynet: 100,
        ratio: 1.1,
        target: 'within 10%',
        pass: false,
      },
    ],
    lazyFree: { simload: 'none', skynet: 'none' },
    notes: [],
    invalid: [],
    sizeClasses: null,
  };
  const record: FidelityRecord = {
    scenario: 'ramp-3000',
    transport: 'gate',
    pairs: [{ simload: 'a', skynet: 'b', tables: [table] }],
  };
  await writeFidelityRecord(file, record);
  await writeFidelityRecord(file, { ...record, pairs: [...record.pairs, ...record.pairs] });
  assert.deepEqual(readdirSync(dir), ['ramp-3000-x-fidelity-20261207-100509.json'], 'no temporary file left');
  const back = JSON.parse(readFileSync(file, 'utf8')) as FidelityRecord;
  assert.equal(back.pairs.length, 2);
  assert.deepEqual(
    back.pairs[1]!.tables[0]!.rows.map((r) => [r.metric, r.simload, r.skynet, r.ratio, r.pass ?? null]),
    [
      ['server CPU per 1 000 messages', 61.5, 30, 2.05, null],
      ['process Rss growth at the peak', 110, 100, 1.1, false],
    ],
  );
});
