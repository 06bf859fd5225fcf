// One builder at a time per output: a lock directory holding the builder's pid (a dead holder's lock is taken
// over), so `npm install`, `simload build`, `npm run build:peers` and tests never build into one folder at once.
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { SimloadError } from '../errors.js';

/** Waits for `dir` (up to 15 minutes) and returns its release. */
export async function buildLock(dir: string, log: (s: string) => void): Promise<() => void> {
  mkdirSync(dirname(dir), { recursive: true });
  let waited = false;
  for (let i = 0; i < 1800; i++) {
    try {
      mkdirSync(dir);
      writeFileSync(`${dir}/pid`, String(process.pid));
      return () => rmSync(dir, { recursive: true, force: true });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      let pid = 0;
      try {
        pid = Number(readFileSync(`${dir}/pid`, 'utf8'));
      } catch {
        // being created right now
      }
      if (pid > 0 && !alive(pid)) {
        rmSync(dir, { recursive: true, force: true });
        continue;
      }
      if (!waited) log(`waiting for another build (pid ${pid || '?'}) to finish`);
      waited = true;
      await sleep(500);
    }
  }
  throw new SimloadError(
    'ERR_BUILD_LOCKED',
    `${dir} is held by another build for 15 minutes; remove it if no build is running`,
  );
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
