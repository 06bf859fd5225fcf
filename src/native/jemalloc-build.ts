// Builds one jemalloc variant into native/build/<name>/: fresh source copy, config.cache, configure, header
// edits checked, `make build_lib_shared`. build.json records what went in; a build whose key matches is kept.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join, relative } from 'node:path';
import { SimloadError } from '../errors.js';
import { run } from './exec.js';
import { packageRoot, variantBuildJson, variantDir, variantLib } from './paths.js';
import type { Recipe } from './recipes.js';
import type { JemallocSource } from './source.js';

/** Bump when this file's steps change in a way that changes the output. */
const BUILDER_VERSION = 1;
export const DEFS_HEADER = 'include/jemalloc/internal/jemalloc_internal_defs.h';

export interface BuildRecord {
  name: string;
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

export function buildKey(recipe: Recipe, source: JemallocSource): string {
  return createHash('sha256')
    .update(JSON.stringify({ BUILDER_VERSION, source: source.hash, flags: recipe.configureFlags, cache: recipe.configCache, rm: recipe.removeDefines }))
    .digest('hex')
    .slice(0, 16);
}

export function readBuildRecord(name: string): BuildRecord | null {
  try {
    return JSON.parse(readFileSync(variantBuildJson(name), 'utf8')) as BuildRecord;
  } catch {
    return null;
  }
}

export function isUpToDate(recipe: Recipe, source: JemallocSource): boolean {
  const rec = readBuildRecord(recipe.name);
  return !!rec && rec.key === buildKey(recipe, source) && existsSync(variantLib(recipe.name));
}

export async function buildVariant(recipe: Recipe, source: JemallocSource, log: (s: string) => void): Promise<BuildRecord> {
  const started = Date.now();
  const dir = variantDir(recipe.name);
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
    await run('sh', ['-c', `tar -C "$1" --exclude=.git --exclude=lib --exclude='*.o' --exclude='*.d' --exclude=config.cache --exclude=config.status -cf - . | tar -C "$2" -xf -`, 'sh', source.path, src], { log: logFile });
  }
  if (!existsSync(join(src, 'configure'))) {
    log(`${recipe.name}: no generated configure in the source; running autoconf`);
    await run('autoconf', [], { ...o, code: 'ERR_BUILD' }).catch((err: Error) => {
      throw new SimloadError('ERR_BUILD', `the jemalloc source has no configure script and autoconf failed (apt-get install autoconf): ${err.message}`);
    });
  }
  writeFileSync(join(src, 'config.cache'), recipe.configCache.map((l) => l + '\n').join(''));
  log(`${recipe.name}: configure ${recipe.configureFlags.join(' ')}${recipe.configCache.length ? ` (config.cache: ${recipe.configCache.join(', ')})` : ''}`);
  await run('./configure', ['--cache-file=config.cache', ...recipe.configureFlags], o);

  editDefines(join(src, DEFS_HEADER), recipe);

  const jobs = Math.max(1, Math.min(availableParallelism(), 4));
  log(`${recipe.name}: make -j${jobs} build_lib_shared`);
  await run('make', [`-j${jobs}`, 'build_lib_shared'], o);
  const built = join(src, 'lib', 'libjemalloc.so.2');
  if (!existsSync(built)) throw new SimloadError('ERR_BUILD', `${recipe.name}: make finished but ${built} is missing; see ${logFile}`);
  mkdirSync(join(dir, 'lib'), { recursive: true });
  // Copy, not link: the library stays valid if src/ is cleaned.
  writeFileSync(variantLib(recipe.name), readFileSync(built), { mode: 0o755 });

  const macros = readFileSync(join(src, 'include/jemalloc/jemalloc_macros.h'), 'utf8');
  const fullVersion = /#define JEMALLOC_VERSION "([^"]+)"/.exec(macros)?.[1] ?? source.version;
  const rec: BuildRecord = {
    name: recipe.name,
    version: /^(\d+\.\d+\.\d+)/.exec(fullVersion)?.[1] ?? source.version,
    fullVersion,
    configureFlags: recipe.configureFlags,
    configCache: recipe.configCache,
    removedDefines: recipe.removeDefines,
    source: { origin: source.origin, kind: source.kind, path: source.path, hash: source.hash },
    key: buildKey(recipe, source),
    builtAt: new Date().toISOString(),
    buildSeconds: Math.round((Date.now() - started) / 100) / 10,
    libPath: relative(packageRoot, variantLib(recipe.name)),
  };
  writeFileSync(variantBuildJson(recipe.name), JSON.stringify(rec, null, 2) + '\n');
  log(`${recipe.name}: built jemalloc ${fullVersion} in ${rec.buildSeconds}s -> ${rec.libPath}`);
  return rec;
}

const defineRe = (name: string) => new RegExp(`^[ \\t]*#[ \\t]*define[ \\t]+${name}\\b.*$`, 'm');

/** Takes the recipe's macros out of the generated header, then checks every expectation; throws if one fails. */
export function editDefines(header: string, recipe: Recipe): void {
  let text = readFileSync(header, 'utf8');
  for (const name of recipe.removeDefines) {
    const re = new RegExp(defineRe(name).source, 'gm');
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
          (want ? ' (this jemalloc cannot purge with MADV_FREE here, so a madv-free build would not differ)' : ' (lazy purging would still be compiled in)'),
      );
    }
  }
}
