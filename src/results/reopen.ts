// What a run folder needs before a watch appends to it again (writer.ts, RunWriter.reopen): a last line that
// the crash cut off mid-write is dropped (appending after it would glue the next record to it and lose both),
// temporaries of writes the crash interrupted are removed, and the last record tells where the gap began.

import { open, readdir, rm, truncate } from 'node:fs/promises';
import { join } from 'node:path';
import { ROTATE_TMP } from './rotate.js';

const CHUNK = 64 * 1024;

/**
 * Cuts `file` back to its last newline; returns the bytes dropped (0 when it ends with one, is empty or is
 * absent).
 */
export async function dropTornLine(file: string): Promise<number> {
  const size = await sizeOf(file);
  if (size === 0) return 0;
  const end = await lastNewline(file, size);
  const keep = end === null ? 0 : end + 1;
  if (keep < size) await truncate(file, keep);
  return size - keep;
}

/** The last non-empty line of `file` (after dropTornLine: the last whole record), or null. */
export async function lastLine(file: string): Promise<string | null> {
  let size = await sizeOf(file);
  while (size > 0) {
    const end = await lastNewline(file, size);
    const from = end === null ? 0 : end + 1;
    if (from < size) {
      const fh = await open(file, 'r');
      try {
        const buf = Buffer.alloc(size - from);
        await fh.read(buf, 0, buf.length, from);
        const text = buf.toString('utf8').trim();
        if (text !== '') return text;
      } finally {
        await fh.close();
      }
    }
    if (end === null) return null;
    size = end; // the newline itself is left out: the next search ends before it
  }
  return null;
}

/** Removes what writes cut short by a crash left: `*.<pid>.tmp` of whole-file writes, a rotation's temporary. */
export async function removeTemporaries(dir: string): Promise<string[]> {
  const names = (await readdir(dir)).filter((n) => /\.\d+\.tmp$/.test(n) || n === ROTATE_TMP);
  await Promise.all(names.map((n) => rm(join(dir, n), { force: true })));
  return names;
}

async function sizeOf(file: string): Promise<number> {
  try {
    const fh = await open(file, 'r');
    try {
      return (await fh.stat()).size;
    } finally {
      await fh.close();
    }
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return 0;
    throw err;
  }
}

/** Offset of the last `\n` before `size` in `file`, reading backwards a chunk at a time; null when none. */
async function lastNewline(file: string, size: number): Promise<number | null> {
  const fh = await open(file, 'r');
  try {
    const buf = Buffer.alloc(CHUNK);
    for (let end = size; end > 0;) {
      const from = Math.max(0, end - CHUNK);
      const { bytesRead } = await fh.read(buf, 0, end - from, from);
      const at = buf.subarray(0, bytesRead).lastIndexOf(0x0a);
      if (at >= 0) return from + at;
      end = from;
    }
    return null;
  } finally {
    await fh.close();
  }
}
