// Test helper (not a test): what needs the vendored sources of ../shared/vendor (jemalloc 5.0.1, a real skynet).
// A user's clone has no ../shared: such tests skip and say why (`needsVendor`) instead of crashing at load.
// The 5.0.1 builds are made once by `.ci/run` / `npm test`'s pretest (or by hand:
// `simload build --source ../shared/vendor/jemalloc-5.0.1.tar.bz2`) and cached in native/build/.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { findSourceBuild, type BuildRecord } from '../../src/native/jemalloc-build.js';
import { packageRoot } from '../../src/native/paths.js';
import { peerSources } from '../../src/native/peers.js';
import { recipeFor } from '../../src/native/recipes.js';
import { hashSource } from '../../src/native/source.js';

export const VENDOR_501 = join(packageRoot, '..', 'shared', 'vendor', 'jemalloc-5.0.1.tar.bz2');

/**
 * The `skip` option of a test that needs the vendored sources: false when they are there, else the reason.
 * `jemalloc-5.0.1`: the 5.0.1 tarball; `skynet`: a skynet and its jemalloc (../shared/vendor or SKYNET_SRC).
 */
export function needsVendor(what: 'jemalloc-5.0.1' | 'skynet'): string | false {
  if (what === 'skynet')
    return peerSources()
      ? false
      : 'needs the vendored sources: no skynet/jemalloc source (../shared/vendor or SKYNET_SRC)';
  return existsSync(VENDOR_501) ? false : `needs the vendored sources: no jemalloc 5.0.1 source at ${VENDOR_501}`;
}

/** The 5.0.1 builds, or null when the source is absent (the caller's tests skip through `needsVendor`). */
export function require501(): { madvFree: BuildRecord; noMadvFree: BuildRecord } | null {
  if (needsVendor('jemalloc-5.0.1')) return null;
  const hash = hashSource(VENDOR_501);
  const get = (name: string) => {
    const rec = findSourceBuild(recipeFor(name)!, hash);
    assert.ok(
      rec,
      `jemalloc 5.0.1 build ${name} is missing: run \`simload build --source ${VENDOR_501}\` (.ci/run does) first`,
    );
    return rec;
  };
  return { madvFree: get('madv-free'), noMadvFree: get('no-madv-free') };
}
