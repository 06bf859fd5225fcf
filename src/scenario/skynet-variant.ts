// A variant's `skynet:`: a real skynet run beside simload's variants. The short form names the jemalloc recipe of
// the peer build (its sources are checked when the run starts: a scenario stays valid without them); the long form
// names a user's own skynet tree (and its jemalloc), checked here, relative to the scenario file.

import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { SkynetVariantOptions } from '../alloc/options.js';
import type { PathPart } from './problems.js';
import { sourcePath, type SourceWords } from './source-path.js';

const RECIPES = ['madv-free', 'no-madv-free'] as const;

type Problem = (path: PathPart[], message: string) => void;

const SKYNET: SourceWords = {
  what: 'skynet source',
  unsetHint: 'your skynet tree or tarball',
  expected: 'a source tree or a tarball',
};
const JEMALLOC: SourceWords = {
  what: 'jemalloc source',
  unsetHint: "your skynet's jemalloc (its 3rd/jemalloc, or a release tarball)",
  expected: 'a source tree or a release tarball',
};

/** Null after a problem, an unset `${NAME}`, or a value of the wrong shape (the schema reports that). */
export function resolveSkynetVariant(
  value: unknown,
  at: PathPart[],
  baseDir: string,
  problem: Problem,
  unset: Problem,
  env: NodeJS.ProcessEnv = process.env,
): SkynetVariantOptions | null {
  if (typeof value === 'string')
    return (RECIPES as readonly string[]).includes(value) ? { build: value as SkynetVariantOptions['build'] } : null;
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return null;
  const x = value as Record<string, unknown>;
  if (!(RECIPES as readonly string[]).includes(x.build as string)) return null;
  const out: SkynetVariantOptions = { build: x.build as SkynetVariantOptions['build'] };
  let ok = true;
  if (typeof x.tree === 'string') {
    const where = [...at, 'tree'];
    const tree = sourcePath(
      x.tree,
      baseDir,
      SKYNET,
      { problem: (m) => problem(where, m), unset: (m) => unset(where, m) },
      env,
    );
    if (tree === null) return null;
    if (tree === undefined) ok = false;
    else out.tree = tree;
  }
  if (typeof x.jemalloc === 'string') {
    if (x.tree === undefined) {
      problem([...at, 'jemalloc'], 'goes with `tree:` (your skynet); the peer build brings its own jemalloc');
      ok = false;
    }
    const where = [...at, 'jemalloc'];
    const je = sourcePath(
      x.jemalloc,
      baseDir,
      JEMALLOC,
      { problem: (m) => problem(where, m), unset: (m) => unset(where, m) },
      env,
    );
    if (je === null) return null;
    if (je === undefined) ok = false;
    else out.jemalloc = je;
  } else if (out.tree !== undefined) {
    const je = join(out.tree, '3rd', 'jemalloc');
    if (!statSync(out.tree).isDirectory()) {
      problem(
        [...at, 'tree'],
        `${out.tree} is a tarball: give its jemalloc too (\`jemalloc: PATH\`, a source tree or release tarball)`,
      );
      ok = false;
    } else if (!existsSync(je) || !statSync(je).isDirectory() || readdirSync(je).length === 0) {
      problem(
        [...at, 'tree'],
        `${je} is missing or empty (a git submodule not checked out? run \`git submodule update --init\` in your skynet tree), or give \`jemalloc: PATH\``,
      );
      ok = false;
    }
    if (ok) out.jemalloc = je;
  }
  return ok ? out : null;
}
