// Whole files written to a temporary name beside them and renamed into place, so a reader never sees half a
// file: run.json and the other files of a run folder, the report's files, fidelity's record. The temporary,
// `<file>.<pid>.tmp`, is what reopen.ts removes from a folder a crash left.
import { rename, rm, writeFile } from 'node:fs/promises';

/** Writes `text` to `file` atomically; on failure the temporary is gone and the error is thrown as it came. */
export async function writeFileAtomic(file: string, text: string): Promise<void> {
  const tmp = `${file}.${process.pid}.tmp`;
  try {
    await writeFile(tmp, text);
    await rename(tmp, file);
  } catch (err) {
    // A half-written temporary would keep the space a full disk needs back (and sit in the folder).
    await rm(tmp, { force: true }).catch(() => undefined);
    throw err;
  }
}
