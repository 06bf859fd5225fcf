// Builds a real skynet (the system simload simulates) with a given jemalloc, with or without MADV_FREE, into
// native/build/skynet-<recipe>-<key>/. Used by the fidelity comparison and by `watch` tests; never committed.
// skynet's Makefile would run `./autogen.sh --with-jemalloc-prefix=je_ --enable-prof` in 3rd/jemalloc; we run
// configure ourselves first (same flags, plus the recipe's config.cache and header edits), so make skips it.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join, resolve } from 'node:path';
import { SimloadError } from '../errors.js';
import { run } from './exec.js';
import { DEFS_HEADER, editDefines } from './jemalloc-build.js';
import { buildDir } from './paths.js';
import { recipeFor, type Recipe } from './recipes.js';
import { buildLock } from './build-lock.js';

/** Bump when the steps below change what they produce. */
const BUILDER_VERSION = 1;
/** skynet's own configure flags for its jemalloc (skynet Makefile, target 3rd/jemalloc/Makefile). */
export const SKYNET_JEMALLOC_FLAGS = ['--with-jemalloc-prefix=je_', '--enable-prof'];

export interface SkynetBuildOptions {
  /** A skynet source tree or tarball (top folder stripped). */
  skynetSrc: string;
  /** A jemalloc source tree or release tarball, unpacked into 3rd/jemalloc. */
  jemallocSrc: string;
  /** `madv-free` or `no-madv-free` (src/native/recipes.ts). */
  recipe: string;
  force?: boolean;
  log?: (s: string) => void;
}

export interface SkynetBuild {
  recipe: string;
  /** The build folder; `root` is the skynet tree inside it (run `./skynet CONFIG` there). */
  dir: string;
  root: string;
  binary: string;
  jemallocVersion: string;
  key: string;
  skynetHash: string;
  jemallocHash: string;
  buildSeconds: number;
  builtAt: string;
}

export function skynetBuildDir(recipe: string, key: string): string {
  return join(buildDir, `skynet-${recipe}-${key.slice(0, 8)}`);
}

/** The cached build for these inputs, or null. Hashing only: cheap enough to call from tests. */
export function findSkynetBuild(o: Omit<SkynetBuildOptions, 'force' | 'log'>): SkynetBuild | null {
  const key = skynetKey(o);
  const rec = readRecord(skynetBuildDir(o.recipe, key));
  return rec && rec.key === key && existsSync(rec.binary) ? rec : null;
}

export async function buildSkynet(o: SkynetBuildOptions): Promise<SkynetBuild> {
  const log = o.log ?? (() => undefined);
  const recipe = recipeFor(o.recipe);
  if (!recipe)
    throw new SimloadError('ERR_UNKNOWN_BUILD', `unknown recipe "${o.recipe}" for skynet (madv-free or no-madv-free)`);
  const skynetSrc = resolve(o.skynetSrc);
  const jemallocSrc = resolve(o.jemallocSrc);
  for (const [what, p] of [
    ['skynet', skynetSrc],
    ['jemalloc', jemallocSrc],
  ] as const) {
    if (!existsSync(p)) throw new SimloadError('ERR_SKYNET_SOURCE', `${what} source ${p} does not exist`);
  }
  const release = await buildLock(join(buildDir, `.lock-skynet-${o.recipe}`), log);
  try {
    if (!o.force) {
      const cached = findSkynetBuild({ ...o, skynetSrc, jemallocSrc });
      if (cached) return cached;
    }
    return await build(recipe, skynetSrc, jemallocSrc, log);
  } finally {
    release();
  }
}

async function build(
  recipe: Recipe,
  skynetSrc: string,
  jemallocSrc: string,
  log: (s: string) => void,
): Promise<SkynetBuild> {
  const started = Date.now();
  const skynetHash = hashSource(skynetSrc);
  const jemallocHash = hashSource(jemallocSrc);
  const key = keyOf(recipe.name, skynetHash, jemallocHash);
  const dir = skynetBuildDir(recipe.name, key);
  const root = join(dir, 'skynet');
  const je = join(root, '3rd', 'jemalloc');
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(root, { recursive: true });
  const logFile = join(dir, 'build.log');
  writeFileSync(logFile, `simload skynet build ${recipe.name}: skynet ${skynetSrc}, jemalloc ${jemallocSrc}\n`);
  log(`skynet (${recipe.name}): unpacking ${skynetSrc} and ${jemallocSrc}`);
  await unpack(skynetSrc, root, logFile);
  rmSync(je, { recursive: true, force: true });
  mkdirSync(je, { recursive: true });
  await unpack(jemallocSrc, je, logFile);

  const o2 = { cwd: je, log: logFile };
  writeFileSync(join(je, 'config.cache'), recipe.configCache.map((l) => l + '\n').join(''));
  const configure = existsSync(join(je, 'configure')) ? './configure' : './autogen.sh';
  log(
    `skynet (${recipe.name}): ${configure} -C ${SKYNET_JEMALLOC_FLAGS.join(' ')}${recipe.configCache.length ? ` (config.cache: ${recipe.configCache.join(', ')})` : ''}`,
  );
  await run(configure, ['-C', ...SKYNET_JEMALLOC_FLAGS], o2);
  editDefines(join(je, DEFS_HEADER), recipe);

  const jobs = Math.max(1, Math.min(availableParallelism(), 4));
  log(`skynet (${recipe.name}): make -j${jobs} linux`);
  await run('make', [`-j${jobs}`, 'linux'], { cwd: root, log: logFile });
  const binary = join(root, 'skynet');
  if (!existsSync(binary))
    throw new SimloadError(
      'ERR_BUILD',
      `skynet (${recipe.name}): make finished but ${binary} is missing; see ${logFile}`,
    );
  const macros = readFileSync(join(je, 'include/jemalloc/jemalloc_macros.h'), 'utf8');
  const rec: SkynetBuild = {
    recipe: recipe.name,
    dir,
    root,
    binary,
    jemallocVersion: /#define JEMALLOC_VERSION "([^"]+)"/.exec(macros)?.[1] ?? 'unknown',
    key,
    skynetHash,
    jemallocHash,
    buildSeconds: Math.round((Date.now() - started) / 100) / 10,
    builtAt: new Date().toISOString(),
  };
  writeFileSync(join(dir, 'build.json'), JSON.stringify(rec, null, 2) + '\n');
  log(`skynet (${recipe.name}): built with jemalloc ${rec.jemallocVersion} in ${rec.buildSeconds}s -> ${binary}`);
  return rec;
}

function keyOf(recipe: string, skynetHash: string, jemallocHash: string): string {
  const r = recipeFor(recipe)!;
  return createHash('sha256')
    .update(
      JSON.stringify({
        BUILDER_VERSION,
        recipe,
        skynetHash,
        jemallocHash,
        flags: SKYNET_JEMALLOC_FLAGS,
        cache: r.configCache,
        rm: r.removeDefines,
      }),
    )
    .digest('hex')
    .slice(0, 16);
}

function skynetKey(o: { skynetSrc: string; jemallocSrc: string; recipe: string }): string {
  return keyOf(o.recipe, hashSource(resolve(o.skynetSrc)), hashSource(resolve(o.jemallocSrc)));
}

/** The record, with its paths taken from where it lies now (a build folder may be copied or moved). */
function readRecord(dir: string): SkynetBuild | null {
  try {
    const rec = JSON.parse(readFileSync(join(dir, 'build.json'), 'utf8')) as SkynetBuild;
    const root = join(dir, 'skynet');
    return { ...rec, dir, root, binary: join(root, 'skynet') };
  } catch {
    return null;
  }
}

async function unpack(src: string, into: string, logFile: string): Promise<void> {
  if (statSync(src).isDirectory()) {
    // A copy, so a user's checkout is never touched; build output in it is left behind.
    await run(
      'sh',
      [
        '-c',
        `tar -C "$1" --exclude=.git --exclude='*.o' --exclude='*.a' --exclude='*.so' --exclude=config.cache --exclude=config.status -cf - . | tar -C "$2" -xf -`,
        'sh',
        src,
        into,
      ],
      { log: logFile },
    );
  } else {
    await run('tar', ['-xf', src, '--strip-components=1', '-C', into], { log: logFile });
  }
}

/** sha256 of a tarball, or of a tree's files (names and contents; .git and build output skipped). */
function hashSource(p: string): string {
  const h = createHash('sha256');
  if (!statSync(p).isDirectory()) return h.update(readFileSync(p)).digest('hex');
  const walk = (dir: string): void => {
    for (const e of readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      if (e.name === '.git') continue;
      const f = join(dir, e.name);
      if (e.isDirectory()) walk(f);
      else if (e.isFile() && !/\.(o|a|so|d)$/.test(e.name))
        h.update(f.slice(p.length)).update('\0').update(readFileSync(f)).update('\0');
    }
  };
  walk(p);
  return h.digest('hex');
}
