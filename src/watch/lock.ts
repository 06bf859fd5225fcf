// Which live watch writes a folder: `watch.lock`, the owner's pid and what tells that process from a later one
// with the same pid (its boot and start time, proc/process.ts). A second watch into the folder (a --resume of it)
// is refused while the owner runs; a lock whose owner is gone (killed, crashed, a reboot since) is stale and is
// taken over. The lock is linked into place from a file of its own, and a stale one is moved aside before it is
// removed, so two watches never both hold it.

import { linkSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { UsageError } from '../errors.js';
import { readProcessIdentity } from '../proc/process.js';
import { RESULT_FILES } from '../results/layout.js';

interface Owner {
  pid: number;
  identity: string | null;
}

export interface FolderLock {
  /** Removes the lock if it is still this process's. */
  release(): void;
}

/** How often a stale lock is taken over before the folder counts as busy (another watch keeps taking it). */
const ATTEMPTS = 5;

/** Takes `dir`'s lock for this process; a UsageError (ERR_WATCH_BUSY, exit 2) while another live watch holds it. */
export function lockWatchFolder(dir: string, said: string): FolderLock {
  const file = join(dir, RESULT_FILES.watchLock);
  const text = JSON.stringify({ pid: process.pid, identity: readProcessIdentity(process.pid) } satisfies Owner);
  // `<file>.<pid>.tmp`: what a resume removes when a crash left it (results/reopen.ts).
  const mine = `${file}.${process.pid}.tmp`;
  try {
    for (let attempt = 1; ; attempt++) {
      try {
        // Written again each time: the watch holding the folder may have removed it as a crash's leftover.
        writeFileSync(mine, `${text}\n`);
        linkSync(mine, file);
        return { release: () => releaseIfMine(file, text) };
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if (code === 'ENOENT' && attempt < ATTEMPTS) continue; // the temporary went under us: write it again
        if (code !== 'EEXIST') throw err;
      }
      const seen = readText(file);
      const owner = seen === null ? null : parseOwner(seen);
      if (owner && live(owner)) throw busy(said, owner.pid, file);
      if (attempt >= ATTEMPTS) throw busy(said, owner?.pid ?? null, file);
      if (seen !== null) takeStale(file, seen); // else released meanwhile: the next attempt links
    }
  } finally {
    rmSync(mine, { force: true });
  }
}

/**
 * Moves the stale lock aside and removes it; a lock that turns out not to be the stale one seen (another watch
 * took it over meanwhile) is put back, and the next attempt finds it.
 */
function takeStale(file: string, seen: string): void {
  // A temporary's name, so that a resume removes it if a crash left it here (results/reopen.ts).
  const aside = `${file}.stale.${process.pid}.tmp`;
  try {
    renameSync(file, aside);
  } catch {
    return; // gone meanwhile: the next attempt links
  }
  if (readText(aside) !== seen) {
    try {
      linkSync(aside, file);
    } catch {
      // another lock is in place already: the next attempt finds it
    }
  }
  rmSync(aside, { force: true });
}

function releaseIfMine(file: string, text: string): void {
  if (readText(file)?.trim() === text) rmSync(file, { force: true });
}

function live(o: Owner): boolean {
  const now = readProcessIdentity(o.pid);
  return now !== null && (o.identity === null || now === o.identity);
}

function parseOwner(text: string): Owner | null {
  try {
    const o = JSON.parse(text) as Partial<Owner>;
    if (!Number.isInteger(o.pid) || (o.pid as number) <= 0) return null;
    return { pid: o.pid as number, identity: typeof o.identity === 'string' ? o.identity : null };
  } catch {
    return null;
  }
}

function readText(file: string): string | null {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return null;
  }
}

function busy(said: string, pid: number | null, file: string): UsageError {
  return new UsageError(
    'ERR_WATCH_BUSY',
    `${said}: another simload watch${pid !== null ? ` (pid ${pid})` : ''} is writing this folder (${file}); ` +
      'stop it first, or watch into a new folder (leave out --resume)',
  );
}
