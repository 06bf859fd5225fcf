// Reading a file the user named (a scenario, an agent script) without trusting that it is one: /dev/zero reads
// until memory is gone and a FIFO blocks the open or the read forever. The file is opened without blocking,
// refused unless fstat says it is a regular file, and refused past a size bound; the answer says which.
// A leaf: callers turn a problem into their own error (a scenario's file:line:col, a UsageError).

import { closeSync, constants, fstatSync, openSync, readSync, type Stats } from 'node:fs';

export type InputFile = { text: string } | { problem: string };

/** What a path that is not a regular file is, in words. */
export function fileKind(st: Stats): string {
  if (st.isDirectory()) return 'a folder';
  if (st.isFIFO()) return 'a named pipe (FIFO)';
  if (st.isCharacterDevice()) return 'a character device';
  if (st.isBlockDevice()) return 'a block device';
  if (st.isSocket()) return 'a socket';
  return 'not a regular file';
}

function openProblem(err: NodeJS.ErrnoException): string {
  if (err.code === 'ENOENT') return 'no such file';
  if (err.code === 'ENXIO') return 'is a socket or a device with nothing behind it, not a regular file';
  if (err.code === 'EACCES' || err.code === 'EPERM') return 'permission denied';
  if (err.code === 'ELOOP') return 'a loop of symbolic links';
  return err.message;
}

/** Opened without blocking (a FIFO), checked by fstat on the opened file (so no swap between check and read). */
function openRegular(path: string): { fd: number; st: Stats } | { problem: string } {
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOCTTY);
  } catch (err) {
    return { problem: openProblem(err as NodeJS.ErrnoException) };
  }
  const st = fstatSync(fd);
  if (!st.isFile()) {
    closeSync(fd);
    return { problem: `is ${fileKind(st)}, not a regular file` };
  }
  return { fd, st };
}

/** A regular file (following links), or why not; nothing is read. */
export function checkRegularFile(path: string): { problem: string } | null {
  const o = openRegular(path);
  if ('problem' in o) return o;
  closeSync(o.fd);
  return null;
}

/** The file's text (UTF-8) if it is a regular file of at most maxBytes, else why not. */
export function readInputFile(path: string, maxBytes: number): InputFile {
  const o = openRegular(path);
  if ('problem' in o) return o;
  try {
    if (o.st.size > maxBytes) return { problem: `is ${o.st.size} bytes, more than the ${maxBytes} allowed` };
    // Room for what fstat saw and some growth, one byte past the bound, so a file that grows is caught too.
    const cap = Math.min(maxBytes, o.st.size + 65536);
    const buf = Buffer.alloc(cap + 1);
    let n = 0;
    for (;;) {
      const got = readSync(o.fd, buf, n, buf.length - n, null);
      if (got === 0) break;
      n += got;
      if (n > cap)
        return { problem: cap === maxBytes ? `is more than the ${maxBytes} bytes allowed` : 'grew while it was read' };
    }
    return { text: buf.subarray(0, n).toString('utf8') };
  } finally {
    closeSync(o.fd);
  }
}
