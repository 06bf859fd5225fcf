// Builds one jemalloc variant: fresh source copy, config.cache, configure, header edits checked, `make
// build_lib_shared`, then a load check in a child Node process. The default source builds into
// native/build/<recipe>/, any other source into native/build/<recipe>-<version>-<key8>/. build.json records
// what went in; a build whose key matches is kept.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SimloadError } from '../errors.js';
import { run } from './exec.js';
import { buildDir, packageRoot, variantBuildJson, variantDir, variantLib } from './paths.js';
import type { Recipe } from './recipes.js';
import type { JemallocSource } from './source.js';

/** Bump when this file's steps change in a way that changes the output. */
const BUILDER_VERSION = 1;
export const DEFS_HEADER = 'include/jemalloc/internal/jemalloc_internal_defs.h';

export interface BuildRecord {
  /** The folder under native/build/: the recipe for the default source, else <recipe>-<version>-<key8>. */
  name: string;
  /** The recipe (madv-free, no-madv-free); absent in records written before per-source builds. */
  recipe?: string;
  /** How initial-exec TLS was avoided: the configure flag, or je_cv_tls_model=no for sources without it. */
  tls?: 'disable-initial-exec-tls' | 'je_cv_tls_model=no';
  /** What the load check after the build saw (jemalloc's `version` mallctl from a child Node process). */
  loadCheck?: { ok: true; version: string };
  version: string;
  /** JEMALLOC_VERSION from the generated header (with git id). */
  fullVersion: string;
  configureFlags: string[];
  configCache: string[];
  removedDefines: string[];
  source: { origin: string; kind: string; path: string; hash: string };
  key: string;
  builtAt: string;
  buildSeconds: number;
  /** Relative to the package root. */
  libPath: string;
}

/** Over the recipe's base fields and the source hash; what a source supports follows from the source itself. */
export function buildKey(recipe: Recipe, source: Pick<JemallocSource, 'hash'>): string {
  return createHash('sha256')
    .update(
      JSON.stringify({
        BUILDER_VERSION,
        source: source.hash,
        flags: recipe.configureFlags,
        cache: recipe.configCache,
        rm: recipe.removeDefines,
      }),
    )
    .digest('hex')
    .slice(0, 16);
}

/** Folder name of a build: the recipe for the default source, else <recipe>-<version>-<key8>. */
export function buildName(
  recipe: Recipe,
  source: Pick<JemallocSource, 'hash' | 'version'>,
  isDefault: boolean,
): string {
  return isDefault
    ? recipe.name
    : `${recipe.name}-${source.version.replace(/[^0-9A-Za-z._-]/g, '_')}-${buildKey(recipe, source).slice(0, 8)}`;
}

/** The build of `recipe` from a source with this hash, if one is built (any version in the name). */
export function findSourceBuild(recipe: Recipe, sourceHash: string): BuildRecord | null {
  const key = buildKey(recipe, { hash: sourceHash });
  if (!existsSync(buildDir)) return null;
  for (const d of readdirSync(buildDir)) {
    if (!d.startsWith(`${recipe.name}-`) || !d.endsWith(`-${key.slice(0, 8)}`)) continue;
    const rec = readBuildRecord(d);
    if (rec && rec.key === key && existsSync(variantLib(d))) return rec;
  }
  return null;
}

/** Every build folder with a build.json (default-source builds first). */
export function listBuildRecords(): BuildRecord[] {
  if (!existsSync(buildDir)) return [];
  const out: BuildRecord[] = [];
  for (const d of readdirSync(buildDir).sort()) {
    if (d === 'shim' || d.startsWith('.')) continue;
    const rec = readBuildRecord(d);
    // Other builds live here too (skynet peers, Lua): only jemalloc variants have configure flags.
    if (rec && Array.isArray(rec.configureFlags)) out.push(rec);
  }
  const keyed = (r: BuildRecord) => Number(!!r.recipe && r.name !== r.recipe);
  return out.sort((a, b) => keyed(a) - keyed(b));
}

/**
 * What this source supports, from its configure script: 5.x before 5.1 has no --disable-initial-exec-tls
 * (configure ignores unknown flags), so the TLS model is dropped through configure's cache instead.
 */
export function planFor(
  recipe: Recipe,
  configureText: string,
): { configureFlags: string[]; configCache: string[]; tls: NonNullable<BuildRecord['tls']> } {
  if (
    configureText.includes('disable-initial-exec-tls') ||
    !recipe.configureFlags.includes('--disable-initial-exec-tls')
  ) {
    return { configureFlags: recipe.configureFlags, configCache: recipe.configCache, tls: 'disable-initial-exec-tls' };
  }
  return {
    configureFlags: recipe.configureFlags.filter((f) => f !== '--disable-initial-exec-tls'),
    configCache: [...recipe.configCache, 'je_cv_tls_model=no'],
    tls: 'je_cv_tls_model=no',
  };
}

export function readBuildRecord(name: string): BuildRecord | null {
  try {
    return JSON.parse(readFileSync(variantBuildJson(name), 'utf8')) as BuildRecord;
  } catch {
    return null;
  }
}

export function isUpToDate(recipe: Recipe, source: JemallocSource, name: string = recipe.name): boolean {
  const rec = readBuildRecord(name);
  return !!rec && rec.key === buildKey(recipe, source) && existsSync(variantLib(name));
}

export async function buildVariant(
  recipe: Recipe,
  source: JemallocSource,
  log: (s: string) => void,
  name: string = recipe.name,
): Promise<BuildRecord> {
  const started = Date.now();
  const dir = variantDir(name);
  const src = join(dir, 'src');
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(src, { recursive: true });
  const logFile = join(dir, 'build.log');
  writeFileSync(logFile, `simload build ${recipe.name} from ${source.path}\n`);
  const o = { cwd: src, log: logFile };

  if (source.kind === 'tarball') {
    await run('tar', ['-xf', source.path, '--strip-components=1', '-C', src], { log: logFile });
  } else {
    // A copy, so a user's tree (maybe built in place) is never touched; its build output is left behind.
    await run(
      'sh',
      [
        '-c',
        `tar -C "$1" --exclude=.git --exclude=lib --exclude='*.o' --exclude='*.d' --exclude=config.cache --exclude=config.status -cf - . | tar -C "$2" -xf -`,
        'sh',
        source.path,
        src,
      ],
      { log: logFile },
    );
  }
  if (!existsSync(join(src, 'configure'))) {
    log(`${recipe.name}: no generated configure in the source; running autoconf`);
    await run('autoconf', [], { ...o, code: 'ERR_BUILD' }).catch((err: Error) => {
      throw new SimloadError(
        'ERR_BUILD',
        `the jemalloc source has no configure script and autoconf failed (apt-get install autoconf): ${err.message}`,
      );
    });
  }
  const plan = planFor(recipe, readFileSync(join(src, 'configure'), 'utf8'));
  writeFileSync(join(src, 'config.cache'), plan.configCache.map((l) => l + '\n').join(''));
  log(
    `${name}: configure ${plan.configureFlags.join(' ')}${plan.configCache.length ? ` (config.cache: ${plan.configCache.join(', ')})` : ''}`,
  );
  await run('./configure', ['--cache-file=config.cache', ...plan.configureFlags], o);

  const removed = editDefines(join(src, DEFS_HEADER), recipe);
  checkTlsModel(join(src, DEFS_HEADER), name);

  const jobs = Math.max(1, Math.min(availableParallelism(), 4));
  log(`${name}: make -j${jobs} build_lib_shared`);
  await run('make', [`-j${jobs}`, 'build_lib_shared'], o);
  const built = join(src, 'lib', 'libjemalloc.so.2');
  if (!existsSync(built))
    throw new SimloadError('ERR_BUILD', `${name}: make finished but ${built} is missing; see ${logFile}`);
  mkdirSync(join(dir, 'lib'), { recursive: true });
  // Copy, not link: the library stays valid if src/ is cleaned.
  writeFileSync(variantLib(name), readFileSync(built), { mode: 0o755 });
  const loaded = await loadCheck(variantLib(name), name, logFile);

  const macros = readFileSync(join(src, 'include/jemalloc/jemalloc_macros.h'), 'utf8');
  const fullVersion = /#define JEMALLOC_VERSION "([^"]+)"/.exec(macros)?.[1] ?? source.version;
  const rec: BuildRecord = {
    name,
    recipe: recipe.name,
    tls: plan.tls,
    loadCheck: { ok: true, version: loaded },
    version: /^(\d+\.\d+\.\d+)/.exec(fullVersion)?.[1] ?? source.version,
    fullVersion,
    configureFlags: plan.configureFlags,
    configCache: plan.configCache,
    removedDefines: removed,
    source: { origin: source.origin, kind: source.kind, path: source.path, hash: source.hash },
    key: buildKey(recipe, source),
    builtAt: new Date().toISOString(),
    buildSeconds: Math.round((Date.now() - started) / 100) / 10,
    libPath: relative(packageRoot, variantLib(name)),
  };
  writeFileSync(variantBuildJson(name), JSON.stringify(rec, null, 2) + '\n');
  log(`${name}: built jemalloc ${fullVersion} in ${rec.buildSeconds}s -> ${rec.libPath}`);
  return rec;
}

const defineRe = (name: string) => new RegExp(`^[ \\t]*#[ \\t]*define[ \\t]+${name}\\b.*$`, 'm');

/**
 * Takes the recipe's macros out of the generated header, then checks every expectation; throws if one fails.
 * Returns the macros that were there and were removed (5.0.x never defines JEMALLOC_DEFINE_MADVISE_FREE).
 */
export function editDefines(header: string, recipe: Recipe): string[] {
  let text = readFileSync(header, 'utf8');
  const removed: string[] = [];
  for (const name of recipe.removeDefines) {
    const re = new RegExp(defineRe(name).source, 'gm');
    if (re.test(text)) removed.push(name);
    text = text.replace(re, `/* #undef ${name} (removed by simload: recipe ${recipe.name}) */`);
  }
  writeFileSync(header, text);
  const check = readFileSync(header, 'utf8');
  for (const [name, want] of Object.entries(recipe.expectDefines)) {
    const has = defineRe(name).test(check);
    if (has !== want) {
      throw new SimloadError(
        'ERR_BUILD_CHECK',
        `${recipe.name}: ${name} is ${has ? 'still defined' : 'not defined'} in ${header} after configure` +
          (want
            ? ' (this jemalloc cannot purge with MADV_FREE here, so a madv-free build would not differ)'
            : ' (lazy purging would still be compiled in)'),
      );
    }
  }
  return removed;
}

/** The initial-exec TLS model must be gone, by either route; otherwise the library cannot be dlopen'ed. */
export function checkTlsModel(header: string, name: string): void {
  const m = /^[ \t]*#[ \t]*define[ \t]+JEMALLOC_TLS_MODEL\b(.*)$/m.exec(readFileSync(header, 'utf8'));
  if (m && /initial-exec/.test(m[1]!)) {
    throw new SimloadError(
      'ERR_BUILD_CHECK',
      `${name}: JEMALLOC_TLS_MODEL is still initial-exec in ${header} after configure; the library could not be dlopen'ed into Node ("cannot allocate memory in static TLS block")`,
    );
  }
}

const LOAD_CHECK = fileURLToPath(new URL('./load-check.js', import.meta.url));

/**
 * Loads the built library through the shim in a child Node process (as the server will) and reads its
 * `version` mallctl: a build that cannot be used is a build error, with the reason. Returns the version.
 */
export async function loadCheck(lib: string, name: string, logFile: string): Promise<string> {
  try {
    const { stdout } = await run(process.execPath, [LOAD_CHECK, lib], { log: logFile, code: 'ERR_BUILD_LOAD' });
    const res = JSON.parse(stdout.trim().split('\n').at(-1)!) as { version: string };
    return res.version;
  } catch (err) {
    throw new SimloadError(
      'ERR_BUILD_LOAD',
      `${name}: built, but the library does not load into Node through the shim, so it cannot be used: ${(err as Error).message}`,
      undefined,
      { cause: err },
    );
  }
}
