// Builds what is missing or stale: the shim, the Lua agent library and every jemalloc variant. Serialised by a lock directory so
// `npm install` and `simload build` never build into the same folder at once.
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { SimloadError, UsageError } from '../errors.js';
import { buildVariant, isUpToDate, readBuildRecord, type BuildRecord } from './jemalloc-build.js';
import { buildDir } from './paths.js';
import { RECIPES } from './recipes.js';
import { buildAgent } from './agent-build.js';
import { buildShim } from './shim-build.js';
import { resolveSource } from './source.js';

export interface BuildAllOptions {
  /** Variant names; default all. */
  variants?: string[];
  /** Rebuild even when up to date. */
  force?: boolean;
  log?: (s: string) => void;
}

export interface BuildAllResult {
  built: BuildRecord[];
  upToDate: string[];
}

export async function buildAll(o: BuildAllOptions = {}): Promise<BuildAllResult> {
  const log = o.log ?? (() => undefined);
  const names = o.variants ?? RECIPES.map((r) => r.name);
  const recipes = names.map((n) => {
    const r = RECIPES.find((x) => x.name === n);
    if (!r) throw new UsageError('ERR_UNKNOWN_BUILD', `unknown build "${n}"; builds: ${RECIPES.map((x) => x.name).join(', ')} (glibc needs no build)`);
    return r;
  });
  const release = await lock(log);
  try {
    await buildShim(log);
    await buildAgent(log);
    const source = await resolveSource({ fetch: true, log });
    const out: BuildAllResult = { built: [], upToDate: [] };
    for (const r of recipes) {
      if (!o.force && isUpToDate(r, source)) {
        out.upToDate.push(r.name);
        continue;
      }
      log(`${r.name}: building from ${source.origin === 'debian' ? "Debian's jemalloc source" : 'JEMALLOC_SRC'} ${source.path} (jemalloc ${source.version})`);
      out.built.push(await buildVariant(r, source, log));
    }
    for (const n of out.upToDate) log(`${n}: up to date (jemalloc ${readBuildRecord(n)?.fullVersion ?? '?'})`);
    return out;
  } finally {
    release();
  }
}

async function lock(log: (s: string) => void): Promise<() => void> {
  mkdirSync(buildDir, { recursive: true });
  const dir = join(buildDir, '.lock');
  let waited = false;
  for (let i = 0; i < 1800; i++) {
    try {
      mkdirSync(dir);
      writeFileSync(join(dir, 'pid'), String(process.pid));
      return () => rmSync(dir, { recursive: true, force: true });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      let pid = 0;
      try {
        pid = Number(readFileSync(join(dir, 'pid'), 'utf8'));
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
  throw new SimloadError('ERR_BUILD_LOCKED', `${dir} is held by another build for 15 minutes; remove it if no build is running`);
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
