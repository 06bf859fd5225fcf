// A source a scenario names (a jemalloc source, a skynet tree): a path relative to the scenario file, or `${NAME}`
// (an environment variable holding a path, relative to the working directory: the file names where to look, the
// user's shell says what is there). A tree or a tarball: a folder, or a regular file.

import { existsSync, statSync } from 'node:fs';
import { isAbsolute, resolve as resolvePath } from 'node:path';
import { checkRegularFile } from '../input-file.js';

export interface SourceWords {
  /** `jemalloc source`, `skynet source`. */
  what: string;
  /** What `${NAME}` should hold, after "export NAME=PATH to ". */
  unsetHint: string;
  /** What a source may be, for a path that is neither a folder nor a regular file. */
  expected: string;
}

/**
 * The absolute path. Null when `${NAME}` is not set (`unset` heard why: the variant cannot run, the file is
 * valid); undefined after a problem.
 */
export function sourcePath(
  value: string,
  baseDir: string,
  words: SourceWords,
  problem: (message: string) => void,
  unset: (message: string) => void,
  env: NodeJS.ProcessEnv = process.env,
): string | null | undefined {
  const m = /^\$\{([A-Za-z_][A-Za-z0-9_]*)\}(.*)$/.exec(value);
  let abs: string;
  if (m) {
    const got = env[m[1]!];
    if (got === undefined || got === '') {
      unset(`\${${m[1]}} is not set: export ${m[1]}=PATH to ${words.unsetHint}`);
      return null;
    }
    abs = resolvePath(got + m[2]!);
  } else if (value.includes('${')) {
    problem(`expected a path, or \`\${NAME}\` at its start to read it from an environment variable, got ${JSON.stringify(value)}`);
    return undefined;
  } else {
    abs = isAbsolute(value) ? value : resolvePath(baseDir, value);
  }
  if (!existsSync(abs)) {
    problem(`no such ${words.what}: ${abs}${m ? ` (from \${${m[1]}})` : ''}`);
    return undefined;
  }
  const bad = statSync(abs).isDirectory() ? null : checkRegularFile(abs);
  if (bad) {
    problem(`the ${words.what} ${abs} ${bad.problem} (expected ${words.expected})`);
    return undefined;
  }
  return abs;
}
