// What `simload fidelity` writes beside its printed tables: `<out>/<scenario>-fidelity-<timestamp>.json`, every
// pair's run folders and tables (each row with both sides' value, the ratio, the target and whether it held;
// CPU rows included) and, over several pairs, the spread. Rewritten after each pair, so an interrupted series
// keeps the pairs it finished; written to a temporary name and renamed, so a reader never sees half a file.
import { mkdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { writeFileAtomic } from '../results/atomic.js';
import { safeName, timestamp } from '../results/run-folder.js';
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

export async function writeFidelityRecord(file: string, record: FidelityRecord): Promise<void> {
  await mkdir(resolve(file, '..'), { recursive: true });
  await writeFileAtomic(file, JSON.stringify(record, null, 2) + '\n');
}
