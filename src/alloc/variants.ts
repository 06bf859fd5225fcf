// Which allocator a variant means: a build from native/, glibc, or a user's own library; and the environment a
// child process needs so that it loads with its malloc_conf.
import { closeSync, existsSync, openSync, readSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { UsageError } from '../errors.js';
import { checkRegularFile } from '../input-file.js';
import { findSourceBuild, readBuildRecord } from '../native/jemalloc-build.js';
import { hashSource } from '../native/source.js';
import { variantLib } from '../native/paths.js';
import { RECIPES } from '../native/recipes.js';
import type { VariantOptions } from './options.js';
import { parseMallocConf } from './conf.js';
import { variantEnvProblem } from './env.js';

export interface ResolvedVariant {
  name: string;
  kind: 'jemalloc' | 'glibc';
  libPath: string | null;
  prefix: 'je_' | '';
  confEnvVar: 'JE_MALLOC_CONF' | 'MALLOC_CONF' | null;
  version: string | null;
}

export const GLIBC = 'glibc';

export function resolveVariant(v: VariantOptions): ResolvedVariant {
  const where = `variant "${v.name}"`;
  if (v.unresolved !== undefined) throw new UsageError('ERR_SCENARIO_ENV', `${where} cannot run: ${v.unresolved}`);
  if (v.skynet !== undefined)
    throw new UsageError(
      'ERR_SKYNET_VARIANT',
      `${where} is a real skynet (\`skynet:\`), which only \`simload run\` runs`,
    );
  if (v.build !== undefined && v.lib !== undefined)
    throw new UsageError('ERR_VARIANT', `${where}: give either build or lib, not both`);
  if (v.build === undefined && v.lib === undefined)
    throw new UsageError('ERR_VARIANT', `${where}: give build (${buildNames().join(', ')}) or lib (a path)`);
  if (v.mallocConf !== undefined) parseMallocConf(v.mallocConf, `${where}: malloc_conf`);
  if (v.build === GLIBC) {
    if (v.mallocConf)
      throw new UsageError('ERR_MALLOC_CONF', `${where}: glibc has no malloc_conf (it applies to jemalloc only)`);
    return { name: v.name, kind: 'glibc', libPath: null, prefix: '', confEnvVar: null, version: glibcVersion() };
  }
  if (v.jemalloc !== undefined && v.build === undefined)
    throw new UsageError(
      'ERR_VARIANT',
      `${where}: jemalloc (a source) goes with build (madv-free or no-madv-free), not with lib`,
    );
  if (v.build !== undefined) {
    const recipe = RECIPES.find((r) => r.name === v.build);
    if (!recipe)
      throw new UsageError(
        'ERR_UNKNOWN_BUILD',
        `${where}: unknown build "${v.build}"; builds: ${buildNames().join(', ')}`,
      );
    if (v.jemalloc !== undefined) {
      const src = resolve(v.jemalloc);
      let hash: string;
      try {
        hash = sourceHash(src);
      } catch (err) {
        throw new UsageError('ERR_JEMALLOC_SOURCE', `${where}: ${(err as Error).message}`);
      }
      const rec = findSourceBuild(recipe, hash);
      if (!rec) {
        throw new UsageError(
          'ERR_NOT_BUILT',
          `${where}: build "${v.build}" of jemalloc source ${src} is not built; run \`simload build --source ${src}\``,
        );
      }
      return {
        name: v.name,
        kind: 'jemalloc',
        libPath: variantLib(rec.name),
        prefix: 'je_',
        confEnvVar: 'JE_MALLOC_CONF',
        version: rec.fullVersion,
      };
    }
    const lib = variantLib(v.build);
    const rec = readBuildRecord(v.build);
    if (!rec || !existsSync(lib)) {
      throw new UsageError(
        'ERR_NOT_BUILT',
        `${where}: build "${v.build}" is not built (${lib} missing); run \`npm install\` or \`simload build\``,
      );
    }
    return {
      name: v.name,
      kind: 'jemalloc',
      libPath: lib,
      prefix: 'je_',
      confEnvVar: 'JE_MALLOC_CONF',
      version: rec.fullVersion,
    };
  }
  const lib = resolve(v.lib!);
  const bad = checkRegularFile(lib);
  if (bad)
    throw new UsageError(
      'ERR_NO_LIB',
      `${where}: library ${lib} ${bad.problem === 'no such file' ? 'does not exist' : bad.problem}`,
    );
  const prefix = v.prefix === undefined ? detectPrefix(lib) : v.prefix === 'none' ? '' : v.prefix;
  if (prefix !== 'je_' && prefix !== '')
    throw new UsageError('ERR_VARIANT', `${where}: prefix must be je_ or none, got "${String(v.prefix)}"`);
  return {
    name: v.name,
    kind: 'jemalloc',
    libPath: lib,
    prefix,
    confEnvVar: prefix === 'je_' ? 'JE_MALLOC_CONF' : 'MALLOC_CONF',
    version: null,
  };
}

export function buildNames(): string[] {
  return [...RECIPES.map((r) => r.name), GLIBC];
}

export function listBuilds(): Array<{
  name: string;
  built: boolean;
  version: string | null;
  configureFlags: string[];
  libPath: string | null;
}> {
  const out = RECIPES.map((r) => {
    const rec = readBuildRecord(r.name);
    const lib = variantLib(r.name);
    const built = !!rec && existsSync(lib);
    return {
      name: r.name,
      built,
      version: rec?.fullVersion ?? null,
      configureFlags: rec?.configureFlags ?? r.configureFlags,
      libPath: built ? lib : null,
    };
  });
  return [...out, { name: GLIBC, built: true, version: glibcVersion(), configureFlags: [], libPath: null }];
}

/** Environment a child process needs so that `v` loads with its malloc_conf (JE_MALLOC_CONF/MALLOC_CONF, LD_PRELOAD if needed, v.env). */
export function variantEnv(v: VariantOptions): Record<string, string> {
  const r = resolveVariant(v);
  const env: Record<string, string> = {};
  if (v.mallocConf !== undefined && r.confEnvVar) env[r.confEnvVar] = v.mallocConf;
  // A user's library is usually built with initial-exec TLS, which dlopen cannot place into a running
  // process ("cannot allocate memory in static TLS block"); preloading gives it static TLS from the start.
  // An unprefixed one then also serves the whole process, as it would in the real server.
  if (v.lib !== undefined && r.libPath) env['LD_PRELOAD'] = r.libPath;
  // Scenarios are checked when loaded; this guards every other way in (serve, plan, tests).
  for (const k of Object.keys(v.env ?? {})) {
    const why = variantEnvProblem(k);
    if (why) throw new UsageError('ERR_VARIANT_ENV', `variant ${v.name}: env ${why}`);
  }
  return { ...env, ...(v.env ?? {}) };
}

/** je_ if the library exports je_mallctl, else none. Reads the file; the dynamic string table is in it. */
export function detectPrefix(lib: string): 'je_' | '' {
  const fd = openSync(lib, 'r');
  try {
    const buf = Buffer.alloc(1 << 20);
    const needle = Buffer.from('\0je_mallctl\0');
    let carry = Buffer.alloc(0);
    for (;;) {
      const n = readSync(fd, buf, 0, buf.length, null);
      if (n <= 0) return '';
      const chunk = Buffer.concat([carry, buf.subarray(0, n)]);
      if (chunk.includes(needle)) return 'je_';
      carry = chunk.subarray(Math.max(0, chunk.length - needle.length));
    }
  } finally {
    closeSync(fd);
  }
}

// Each worker thread resolves its variant again; hashing a source tree each time would cost tens of ms.
const hashes = new Map<string, { mtimeMs: number; size: number; hash: string }>();
function sourceHash(path: string): string {
  const st = existsSync(path) ? statSync(path) : null;
  const hit = hashes.get(path);
  if (st && hit && hit.mtimeMs === st.mtimeMs && hit.size === st.size) return hit.hash;
  const hash = hashSource(path);
  if (st) hashes.set(path, { mtimeMs: st.mtimeMs, size: st.size, hash });
  return hash;
}

let glibc: string | null | undefined;
function glibcVersion(): string | null {
  if (glibc === undefined) {
    const header = (process.report?.getReport() as { header?: { glibcVersionRuntime?: string } } | undefined)?.header;
    glibc = header?.glibcVersionRuntime ? `glibc ${header.glibcVersionRuntime}` : null;
  }
  return glibc;
}
