// A Summary from a run folder (recomputed from its samples, so both sides of a compare use the same
// definitions) or from a summary.json file (schema and version checked).
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { UsageError } from '../errors.js';
import { RESULT_FILES } from '../results/layout.js';
import { loadRun } from './load.js';
import { SUMMARY_SCHEMA, SUMMARY_SCHEMA_VERSION, summarize, type Summary, type VariantSummary } from './summary.js';

export async function readSummary(path: string): Promise<Summary> {
  const st = await stat(path).catch(() => null);
  if (!st) throw new UsageError('ERR_NO_RUN', `${path}: no such file or folder`);
  if (st.isDirectory()) {
    const samples = await stat(join(path, RESULT_FILES.samples)).catch(() => null);
    if (samples) return summarize(await loadRun(path));
    const file = join(path, RESULT_FILES.summary);
    if (!(await stat(file).catch(() => null)))
      throw new UsageError(
        'ERR_NO_RUN',
        `${path}: not a simload run folder (no ${RESULT_FILES.samples} or ${RESULT_FILES.summary})`,
      );
    return readSummaryFile(file);
  }
  return readSummaryFile(path);
}

async function readSummaryFile(file: string): Promise<Summary> {
  let data: unknown;
  try {
    data = JSON.parse(await readFile(file, 'utf8'));
  } catch (err) {
    throw new UsageError('ERR_SUMMARY', `${file}: not a JSON file: ${(err as Error).message}`);
  }
  const s = data as Partial<Summary>;
  if (s?.schema !== SUMMARY_SCHEMA)
    throw new UsageError(
      'ERR_SUMMARY',
      `${file}: not a simload summary (schema is ${JSON.stringify(s?.schema)}, expected "${SUMMARY_SCHEMA}")`,
    );
  const v = s.v as unknown;
  if (v !== SUMMARY_SCHEMA_VERSION && v !== 1)
    throw new UsageError(
      'ERR_SUMMARY',
      `${file}: summary version ${String(s.v)}, this simload reads versions 1 and ${SUMMARY_SCHEMA_VERSION}`,
    );
  if (!Array.isArray(s.variants)) throw new UsageError('ERR_SUMMARY', `${file}: summary has no variants list`);
  return v === 1 ? fromV1(s as Summary) : (s as Summary);
}

/** Version 1 called resident/allocated `fragmentation` and had no settle state or validity (unknown: not checked). */
function fromV1(s: Summary): Summary {
  const variants = s.variants.map((v) => {
    const old = v as VariantSummary & { fragmentation?: number | null };
    const { fragmentation, ...rest } = old;
    return {
      ...rest,
      residentPerAllocated: old.residentPerAllocated ?? fragmentation ?? null,
      settleState: old.settleState ?? (old.timeToSettleMs === null ? 'unknown' : 'settled'),
    } as VariantSummary;
  });
  return {
    ...s,
    v: SUMMARY_SCHEMA_VERSION,
    variants,
    notes: [...(s.notes ?? []), 'read from a version 1 summary: load validity was not checked'],
  };
}
