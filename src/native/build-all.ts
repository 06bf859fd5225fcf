// Builds what is missing or stale: the shim, the Lua agent library and every jemalloc variant, one builder at
// a time (build-lock.ts).
import { join } from 'node:path';
import { UsageError } from '../errors.js';
import { buildLock } from './build-lock.js';
import { buildName, buildVariant, isUpToDate, readBuildRecord, type BuildRecord } from './jemalloc-build.js';
import { buildDir } from './paths.js';
import { RECIPES } from './recipes.js';
import { buildAgent } from './agent-build.js';
import { buildShim } from './shim-build.js';
import { resolveSource, sourceFromPath } from './source.js';

export interface BuildAllOptions {
  /** Variant names; default all. */
  variants?: string[];
  /** Rebuild even when up to date. */
  force?: boolean;
  /** A jemalloc source (tree or tarball) other than the default: builds go to native/build/<recipe>-<version>-<key8>/. */
  source?: string;
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
    if (!r)
      throw new UsageError(
        'ERR_UNKNOWN_BUILD',
        `unknown build "${n}"; builds: ${RECIPES.map((x) => x.name).join(', ')} (glibc needs no build)`,
      );
    return r;
  });
  const release = await buildLock(join(buildDir, '.lock'), log);
  try {
    await buildShim(log);
    await buildAgent(log);
    const source = o.source !== undefined ? await sourceFromPath(o.source) : await resolveSource({ fetch: true, log });
    const out: BuildAllResult = { built: [], upToDate: [] };
    for (const r of recipes) {
      const name = buildName(r, source, o.source === undefined);
      if (!o.force && isUpToDate(r, source, name)) {
        out.upToDate.push(name);
        continue;
      }
      const from = { debian: "Debian's jemalloc source", JEMALLOC_SRC: 'JEMALLOC_SRC', path: 'source' }[source.origin];
      log(`${name}: building from ${from} ${source.path} (jemalloc ${source.version})`);
      out.built.push(await buildVariant(r, source, log, name));
    }
    for (const n of out.upToDate) log(`${n}: up to date (jemalloc ${readBuildRecord(n)?.fullVersion ?? '?'})`);
    return out;
  } finally {
    release();
  }
}
