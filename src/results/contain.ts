// A scenario's `output.dir` must stay inside the working folder. Its name is checked when the scenario is read
// (relative, no ..); this checks the place: walking down from the working folder, every part that exists is
// taken at its real path, and a link that leads out of the working folder is refused, so a folder named
// inside it never lands in /etc.

import { lstatSync, realpathSync } from 'node:fs';
import { isAbsolute, join, relative, resolve, sep } from 'node:path';
import { UsageError } from '../errors.js';

function inside(path: string, root: string): boolean {
  const rel = relative(root, path);
  return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel));
}

/**
 * The real path of `dir` (relative to `root`), whose existing parts all lie inside root's real path; the parts
 * that do not exist yet are appended as named (mkdir creates them there). Throws a UsageError (exit 2) that
 * names the link leading out.
 */
export function containedDir(dir: string, root: string): string {
  const realRoot = realpathSync(root);
  const abs = resolve(root, dir);
  const parts = relative(resolve(root), abs)
    .split(sep)
    .filter((p) => p !== '');
  if (!inside(abs, resolve(root)))
    throw new UsageError(
      'ERR_RESULTS_DIR',
      `output.dir ${dir} is outside the working folder ${root}; to write elsewhere pass --out`,
    );
  let cur = realRoot;
  for (const [i, part] of parts.entries()) {
    const next = join(cur, part);
    let link: boolean;
    try {
      link = lstatSync(next).isSymbolicLink();
    } catch {
      return join(cur, ...parts.slice(i)); // the rest does not exist yet: created under cur
    }
    if (link) {
      let target: string;
      try {
        target = realpathSync(next);
      } catch (err) {
        throw new UsageError(
          'ERR_RESULTS_DIR',
          `output.dir ${dir}: ${next} is a link that leads nowhere (${(err as NodeJS.ErrnoException).code})`,
        );
      }
      if (!inside(target, realRoot)) {
        throw new UsageError(
          'ERR_RESULTS_DIR',
          `output.dir ${dir} leads outside the working folder ${realRoot}: ${next} is a link to ${target}; to write there pass --out`,
        );
      }
      cur = target;
    } else {
      cur = next;
    }
  }
  return cur;
}

/** After mkdir: the folder's real path must still be inside (a link swapped in meanwhile is caught here). */
export function assertInside(dir: string, root: string): void {
  const real = realpathSync(dir);
  const realRoot = realpathSync(root);
  if (!inside(real, realRoot))
    throw new UsageError(
      'ERR_RESULTS_DIR',
      `the results folder ${dir} is at ${real}, outside the working folder ${realRoot}`,
    );
}
