// An output file named on the command line (--junit) is tried before the work starts: finding out after a
// ten-minute run that the folder does not exist or is read-only loses the verdict CI was waiting for.

import { closeSync, openSync, statSync, unlinkSync } from 'node:fs';
import { UsageError } from '../errors.js';

/** Opens `file` for appending (creating it, then removing what it created); a UsageError (exit 2) if it cannot. */
export function checkWritable(file: string, flag: string): void {
  if (file === '') throw new UsageError('ERR_OUTPUT_FILE', `${flag} needs a file name, e.g. ${flag} junit.xml`);
  let existed = true;
  try {
    existed = statSync(file).isFile();
  } catch {
    existed = false;
  }
  try {
    closeSync(openSync(file, 'a'));
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    const why =
      e.code === 'ENOENT'
        ? 'its folder does not exist'
        : e.code === 'EISDIR'
          ? 'it is a folder'
          : e.code === 'EACCES' || e.code === 'EROFS'
            ? 'not writable'
            : e.message;
    throw new UsageError('ERR_OUTPUT_FILE', `${flag} ${file}: cannot write it (${why}; ${e.code})`);
  }
  if (!existed) unlinkSync(file);
}
