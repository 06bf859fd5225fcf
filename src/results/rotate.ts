// Rotation of a long watch's samples: those older than a cutoff leave samples.ndjson, downsampled
// (downsample.ts), for samples-older.ndjson.gz; samples.ndjson keeps the rest at full resolution. Crash-safe
// in this order: the rest goes to a temporary file first, the downsampled part is appended to the older file
// as one gzip member, then the temporary replaces samples.ndjson. A crash between the last two leaves the
// older part in both files, and the reader (analysis/load.ts) keeps the full-resolution copy. The writer holds
// its samples meanwhile (writer.ts).

import { createReadStream, createWriteStream } from 'node:fs';
import { appendFile, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { finished } from 'node:stream/promises';
import { once } from 'node:events';
import { gzipSync } from 'node:zlib';
import { Downsampler } from './downsample.js';
import { RESULT_FILES } from './layout.js';
import type { Sample } from './sample.js';

export interface Rotation {
  /** Samples taken out of samples.ndjson, and what of them went to the older file. */
  moved: number;
  older: number;
  /** Lines left in samples.ndjson, and the `t` of its first sample now. */
  kept: number;
  firstT: number | null;
  /** Unreadable lines among those taken out (a torn write), dropped as every reader skips them. */
  dropped: number;
}

/** The temporary samples.ndjson is written to during a rotation; a crash can leave it behind. */
export const ROTATE_TMP = `${RESULT_FILES.samples}.rotate.tmp`;

/** Moves the samples with `t < cutoffMs` at the head of `dir`'s samples.ndjson to the older file, downsampled. */
export async function rotateSamples(dir: string, cutoffMs: number, periodMs: number): Promise<Rotation> {
  const file = join(dir, RESULT_FILES.samples);
  const tmp = join(dir, ROTATE_TMP);
  const d = new Downsampler(periodMs);
  const older: Sample[] = [];
  const r: Rotation = { moved: 0, older: 0, kept: 0, firstT: null, dropped: 0 };
  const out = createWriteStream(tmp);
  try {
    let head = true;
    for await (const line of createInterface({ input: createReadStream(file), crlfDelay: Infinity })) {
      if (line.trim() === '') continue;
      const s = head || r.firstT === null ? parseSample(line) : null;
      if (head) {
        if (s === null) {
          r.dropped++;
          continue;
        }
        if (s.t < cutoffMs) {
          r.moved++;
          older.push(...d.push(s));
          continue;
        }
        head = false;
      }
      if (r.firstT === null && s !== null) r.firstT = s.t;
      r.kept++;
      if (!out.write(`${line}\n`)) await once(out, 'drain');
    }
    older.push(...d.flush());
    out.end();
    await finished(out);
    r.older = older.length;
    if (older.length > 0)
      await appendFile(
        join(dir, RESULT_FILES.samplesOlder),
        gzipSync(older.map((s) => `${JSON.stringify(s)}\n`).join('')),
      );
    await rename(tmp, file);
    return r;
  } catch (err) {
    out.destroy();
    await rm(tmp, { force: true }).catch(() => undefined);
    throw err;
  }
}

function parseSample(line: string): Sample | null {
  try {
    const v = JSON.parse(line) as unknown;
    return typeof v === 'object' && v !== null && typeof (v as Sample).t === 'number' ? (v as Sample) : null;
  } catch {
    return null;
  }
}
