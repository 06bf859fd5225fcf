// What `simload fidelity` writes beside its printed tables: `<out>/<scenario>-fidelity-<timestamp>.json`, every
// pair's run folders and tables (each row with both sides' value, the ratio, the target and whether it held;
// CPU rows included) and, over several pairs, the spread. Rewritten after each pair, so an interrupted series
// keeps the pairs it finished; written to a temporary name and renamed, so a reader never sees half a file.
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { safeName, timestamp } from '../results/writer.js';
import type { FidelityTable } from '../analysis/fidelity.js';
import type { Spread } from './spread.js';

export interface FidelityRecord {
  scenario: string;
  transport: string;
  pairs: Array<{ simload: string; skynet: string; tables: FidelityTable[] }>;
  /** Present once the series is complete with more than one pair. */
  spread?: Spread;
}

/** The file's path for a series started at `started`. */
export function fidelityRecordPath(outDir: string, scenario: string, started: Date): string {
  return join(resolve(outDir), `${safeName(scenario)}-fidelity-${timestamp(started)}.json`);
}

export function writeFidelityRecord(file: string, record: FidelityRecord): void {
  mkdirSync(resolve(file, '..'), { recursive: true });
  const tmp = `${file}.tmp`;
  writeFileSync(tmp, JSON.stringify(record, null, 2) + '\n');
  renameSync(tmp, file);
}
