// Where the jemalloc source comes from: $JEMALLOC_SRC (a tree or a release tarball), else Debian's `jemalloc`
// source package (downloaded once into native/src-cache/).
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { SimloadError } from '../errors.js';
import { fetchDebianSource } from './apt.js';
import { run } from './exec.js';
import { srcCacheDir } from './paths.js';

export interface JemallocSource {
  origin: 'JEMALLOC_SRC' | 'debian' | 'path';
  kind: 'tarball' | 'tree';
  path: string;
  /** sha256 of the tarball, or of the tree's source files. */
  hash: string;
  /** e.g. 5.3.0 (from VERSION, or git describe for a bare tree). */
  version: string;
}

// Headers configure/make generate without a `.in` template beside them.
const GENERATED =
  /^(public_symbols\.txt|private_namespace.*\.h|public_(un)?namespace\.h|jemalloc(_protos_jet|_rename|_mangle.*)?\.h|size_classes\.h|config\.(cache|log|status))$/;
const TARBALL = /\.tar(\.(gz|bz2|xz))?$|\.tgz$/;

export async function resolveSource(o: { fetch: boolean; log: (s: string) => void }): Promise<JemallocSource> {
  const env = process.env['JEMALLOC_SRC'];
  if (env) return fromPath(resolve(env), 'JEMALLOC_SRC');
  const cached = cachedTarball();
  if (cached) return fromPath(cached, 'debian');
  if (!o.fetch) throw noSource('no cached source and fetching is off');
  try {
    return await fromPath(await fetchDebianSource(srcCacheDir, o.log), 'debian');
  } catch (err) {
    throw noSource((err as Error).message, err);
  }
}

function noSource(why: string, cause?: unknown): SimloadError {
  return new SimloadError(
    'ERR_JEMALLOC_SOURCE',
    'no jemalloc source. Either set JEMALLOC_SRC to a jemalloc source tree or release tarball ' +
      "(e.g. skynet's 3rd/jemalloc, or jemalloc-5.3.0.tar.bz2), or make Debian's `jemalloc` source package " +
      `reachable through apt (a Debian entry in /etc/apt/sources.list.d/*.sources or /etc/apt/sources.list). ` +
      `The apt route failed: ${why}`,
    undefined,
    { cause },
  );
}

function cachedTarball(): string | null {
  if (!existsSync(srcCacheDir)) return null;
  const files = readdirSync(srcCacheDir)
    .filter((f) => /^jemalloc_.*\.orig\.tar\.(bz2|gz|xz)$/.test(f))
    .sort();
  return files.length ? join(srcCacheDir, files[files.length - 1]!) : null;
}

/** A source a variant or `simload build --source` names (a tree or a release tarball). */
export function sourceFromPath(path: string): Promise<JemallocSource> {
  return fromPath(resolve(path), 'path');
}

/** sha256 of a tarball, or of a tree's source files (as JemallocSource.hash), synchronously; throws like fromPath. */
export function hashSource(path: string): string {
  if (!existsSync(path)) throw new SimloadError('ERR_JEMALLOC_SOURCE', `jemalloc source ${path} does not exist`);
  if (statSync(path).isDirectory()) return hashTree(path);
  return createHash('sha256').update(readFileSync(path)).digest('hex');
}

async function fromPath(path: string, origin: JemallocSource['origin']): Promise<JemallocSource> {
  if (!existsSync(path))
    throw new SimloadError(
      'ERR_JEMALLOC_SOURCE',
      `${origin === 'JEMALLOC_SRC' ? 'JEMALLOC_SRC=' : 'jemalloc source '}${path} does not exist`,
    );
  if (statSync(path).isDirectory()) {
    if (!existsSync(join(path, 'configure.ac')) || !existsSync(join(path, 'src', 'jemalloc.c'))) {
      throw new SimloadError(
        'ERR_JEMALLOC_SOURCE',
        `${path} is not a jemalloc source tree (no configure.ac or src/jemalloc.c)`,
      );
    }
    return { origin, kind: 'tree', path, hash: hashTree(path), version: await treeVersion(path) };
  }
  if (!TARBALL.test(path))
    throw new SimloadError(
      'ERR_JEMALLOC_SOURCE',
      `${path}: expected a jemalloc source tree or a .tar.{gz,bz2,xz} release tarball`,
    );
  const hash = createHash('sha256').update(readFileSync(path)).digest('hex');
  return { origin, kind: 'tarball', path, hash, version: await tarballVersion(path) };
}

async function tarballVersion(path: string): Promise<string> {
  const fromName = /jemalloc[-_](\d+\.\d+\.\d+)/.exec(path);
  try {
    const { stdout } = await run('tar', ['-xOf', path, '--wildcards', '*/VERSION'], { code: 'ERR_JEMALLOC_SOURCE' });
    const v = /^(\d+\.\d+\.\d+)/.exec(stdout.trim());
    if (v) return v[1]!;
  } catch {
    // a tarball without VERSION (a git archive): fall back to its name
  }
  if (fromName) return fromName[1]!;
  throw new SimloadError(
    'ERR_JEMALLOC_SOURCE',
    `${path}: cannot tell the jemalloc version (no VERSION file, no version in the name)`,
  );
}

async function treeVersion(path: string): Promise<string> {
  const vf = join(path, 'VERSION');
  if (existsSync(vf))
    return readFileSync(vf, 'utf8')
      .trim()
      .replace(/-0-g[0-9a-f]+$/, '');
  try {
    const { stdout } = await run('git', ['-C', path, 'describe', '--long', '--abbrev=40']);
    return stdout.trim();
  } catch {
    return 'unknown';
  }
}

/** Files that define the build; generated headers (those with a `.in` beside them) and build output are skipped. */
export function hashTree(root: string): string {
  const h = createHash('sha256');
  const walk = (dir: string) => {
    for (const e of readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      const p = join(dir, e.name);
      const rel = relative(root, p);
      if (e.isDirectory()) {
        if (['.git', 'lib', 'bin', 'doc', 'test', 'msvc', 'obj', 'autom4te.cache'].includes(e.name) && dir === root)
          continue;
        walk(p);
      } else if (e.isFile()) {
        if (/\.(o|d|sym|a|so(\.\d+)*|awk|stamp)$/.test(e.name)) continue;
        if (existsSync(p + '.in') || GENERATED.test(e.name)) continue;
        if (dir === root && !['configure', 'configure.ac', 'Makefile.in', 'VERSION'].includes(e.name)) continue;
        h.update(rel).update('\0').update(readFileSync(p)).update('\0');
      }
    }
  };
  walk(root);
  return h.digest('hex');
}
