// A source a scenario names (a jemalloc source, a skynet tree): a path relative to the scenario file, or `${NAME}`
// (an environment variable holding a path, relative to the working directory: the file names where to look, the
// user's shell says what is there). A tree or a tarball: a folder, or a regular file.

import { existsSync, statSync } from 'node:fs';
import { isAbsolute, resolve as resolvePath } from 'node:path';
import { checkRegularFile } from '../input-file.js';

/** Where a path's problems go: `unset` for an unset `${NAME}` (the file is still valid), `problem` for the rest. */
export interface PathReport {
  problem(message: string): void;
  unset(message: string): void;
}

export interface SourceWords {
  /** `jemalloc source`, `skynet source`. */
  what: string;
  /** What `${NAME}` should hold, after "export NAME=PATH to ". */
  unsetHint: string;
  /** What a source may be, for a path that is neither a folder nor a regular file. */
  expected: string;
}

/**
 * `value` as an absolute path: from `${NAME}...` (an environment variable; `unset` hears "export NAME=PATH to
 * `unsetHint`" when it is not set), else relative to `baseDir`. `from`: the variable it came from. Null after a
 * problem or an unset variable.
 */
export function scenarioPath(
  value: string,
  baseDir: string,
  unsetHint: string,
  report: PathReport,
  env: NodeJS.ProcessEnv = process.env,
): { abs: string; from?: string } | null {
  const m = /^\$\{([A-Za-z_][A-Za-z0-9_]*)\}(.*)$/.exec(value);
  if (m) {
    const got = env[m[1]!];
    if (got === undefined || got === '') {
      report.unset(`\${${m[1]}} is not set: export ${m[1]}=PATH to ${unsetHint}`);
      return null;
    }
    return { abs: resolvePath(got + m[2]!), from: m[1]! };
  }
  if (value.includes('${')) {
    report.problem(
      `expected a path, or \`\${NAME}\` at its start to read it from an environment variable, got ${JSON.stringify(value)}`,
    );
    return null;
  }
  return { abs: isAbsolute(value) ? value : resolvePath(baseDir, value) };
}

/**
 * The absolute path of a source tree or tarball. Null when `${NAME}` is not set (`unset` heard why: the variant
 * cannot run, the file is valid); undefined after a problem.
 */
export function sourcePath(
  value: string,
  baseDir: string,
  words: SourceWords,
  report: PathReport,
  env: NodeJS.ProcessEnv = process.env,
): string | null | undefined {
  let wasUnset = false;
  const onUnset = (m: string): void => {
    wasUnset = true;
    report.unset(m);
  };
  const p = scenarioPath(value, baseDir, words.unsetHint, { problem: report.problem, unset: onUnset }, env);
  if (!p) return wasUnset ? null : undefined;
  const { abs, from } = p;
  if (!existsSync(abs)) {
    report.problem(`no such ${words.what}: ${abs}${from ? ` (from \${${from}})` : ''}`);
    return undefined;
  }
  const bad = statSync(abs).isDirectory() ? null : checkRegularFile(abs);
  if (bad) {
    report.problem(`the ${words.what} ${abs} ${bad.problem} (expected ${words.expected})`);
    return undefined;
  }
  return abs;
}
