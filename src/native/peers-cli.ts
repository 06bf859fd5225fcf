// `npm run build:peers`: builds (or finds cached) the real skynet peers, both recipes. CI runs it once before
// the tests so no test pays for a build.
import { SimloadError } from '../errors.js';
import { PEER_RECIPES, requirePeerSources } from './peers.js';
import { buildSkynet } from './skynet-build.js';

try {
  const src = requirePeerSources();
  for (const recipe of PEER_RECIPES) {
    const b = await buildSkynet({ skynetSrc: src.skynet, jemallocSrc: src.jemalloc, recipe, log: (s) => process.stderr.write(`simload peers: ${s}\n`) });
    process.stderr.write(`simload peers: skynet ${recipe} ready (jemalloc ${b.jemallocVersion}): ${b.binary}\n`);
  }
} catch (err) {
  process.stderr.write(`simload peers: ${err instanceof SimloadError ? `${err.code}: ${err.message}` : String((err as Error)?.stack ?? err)}\n`);
  process.exitCode = 1;
}
