// Test helper (not a test): a run folder's NDJSON files (samples, events) read with the report's own reader
// (analysis/load.ts), but strictly: a line that is not JSON fails the test, unless the caller reads a file that a
// killed or failing writer may have cut off mid-line (`torn`), as the report itself allows.
import { readFileSync } from 'node:fs';
import { parseNdjson } from '../../src/analysis/load.js';

/** Every record of NDJSON text; blank lines are skipped. */
export function ndjson<T>(text: string, opts: { torn?: boolean; file?: string } = {}): T[] {
  const skipped = { n: 0 };
  const rows = parseNdjson<T>(text, opts.file ?? 'NDJSON text', skipped);
  if (skipped.n > 0 && !opts.torn) throw new Error(`${opts.file ?? 'NDJSON text'}: ${skipped.n} line(s) are not JSON`);
  return rows;
}

/** Every record of an NDJSON file. */
export function readNdjson<T>(file: string, opts: { torn?: boolean } = {}): T[] {
  return ndjson<T>(readFileSync(file, 'utf8'), { ...opts, file });
}
