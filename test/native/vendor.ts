// Test helper (not a test): the jemalloc 5.0.1 builds of ../shared/vendor, made once by `.ci/run` (or by hand:
// `simload build --source ../shared/vendor/jemalloc-5.0.1.tar.bz2`) and cached in native/build/.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { findSourceBuild, type BuildRecord } from '../../src/native/jemalloc-build.js';
import { packageRoot } from '../../src/native/paths.js';
import { recipeFor } from '../../src/native/recipes.js';
import { hashSource } from '../../src/native/source.js';

export const VENDOR_501 = join(packageRoot, '..', 'shared', 'vendor', 'jemalloc-5.0.1.tar.bz2');

export function require501(): { madvFree: BuildRecord; noMadvFree: BuildRecord } {
  const hash = hashSource(VENDOR_501);
  const get = (name: string) => {
    const rec = findSourceBuild(recipeFor(name)!, hash);
    assert.ok(rec, `jemalloc 5.0.1 build ${name} is missing: run \`simload build --source ${VENDOR_501}\` (.ci/run does) first`);
    return rec;
  };
  return { madvFree: get('madv-free'), noMadvFree: get('no-madv-free') };
}
