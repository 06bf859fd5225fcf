// Where a new run folder goes and what it is called: `<base>/<scenario>-<timestamp>/`, made fresh (a `-2`, `-3`
// suffix when that name exists, so two runs never share a folder), its base kept inside the working folder when
// it came from a scenario's output.dir (contain.ts). Also the tool's version, as run.json records it.

import { readFileSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { SimloadError, UsageError } from '../errors.js';
import { assertInside, containedDir } from './contain.js';

/**
 * Makes `<baseDir>/<name>-<timestamp>/` and says when. `within`: the folder baseDir must stay inside, by its real
 * path (a scenario's output.dir: the working folder); without it (a --out given on the command line) baseDir may
 * be anywhere.
 */
export async function makeRunFolder(
  baseDir: string,
  name: string,
  opts: { within?: string } = {},
): Promise<{ dir: string; now: Date }> {
  const base = opts.within === undefined ? resolve(baseDir) : containedDir(baseDir, opts.within);
  try {
    await mkdir(base, { recursive: true });
  } catch (err) {
    throw new UsageError('ERR_RESULTS_DIR', `cannot create the results folder ${base}: ${(err as Error).message}`, {
      cause: err,
    });
  }
  if (opts.within !== undefined) assertInside(base, opts.within);
  const now = new Date();
  const stem = `${safeName(name)}-${timestamp(now)}`;
  for (let n = 1; ; n++) {
    const dir = join(base, n === 1 ? stem : `${stem}-${n}`);
    try {
      await mkdir(dir); // not recursive: fails when it exists, so two runs never share a folder
      return { dir, now };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST' || n > 1000) {
        throw new SimloadError(
          'ERR_RESULTS_DIR',
          `cannot create the run folder ${dir}: ${(err as Error).message}`,
          undefined,
          { cause: err },
        );
      }
    }
  }
}

export function safeName(name: string): string {
  const s = name.replace(/[^A-Za-z0-9._-]+/g, '-').replace(/^[-.]+|-+$/g, '');
  return s === '' ? 'run' : s.slice(0, 80);
}

/** 20240501-123005: sorts by time, safe in every file system. Local time, which is what an operator reads. */
export function timestamp(d: Date): string {
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}${p(d.getMonth() + 1)}${p(d.getDate())}-${p(d.getHours())}${p(d.getMinutes())}${p(d.getSeconds())}`;
}

let cachedVersion: string | null = null;

/** simload's version from its package.json, read once (a constant of the installed package, not run state). */
export function toolVersion(): string {
  if (cachedVersion) return cachedVersion;
  // dist/src/results/run-folder.js -> package.json three levels up (src/ is never run uncompiled).
  for (const rel of ['../../../package.json', '../../package.json']) {
    try {
      const pkg = JSON.parse(readFileSync(new URL(rel, import.meta.url), 'utf8')) as {
        name?: string;
        version?: string;
      };
      if (pkg.name === 'simload' && pkg.version) return (cachedVersion = pkg.version);
    } catch {
      // try the next candidate
    }
  }
  return (cachedVersion = '0.0.0');
}
