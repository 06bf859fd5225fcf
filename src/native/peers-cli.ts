// `npm run build:peers` (and `npm test`'s pretest step): builds, or finds cached, what the tests compare with:
// the incident's jemalloc 5.0.1 as simload variants (madv-free, no-madv-free) and a real skynet on it, both
// recipes, and simload's agent library compiled with that skynet's Lua. Built once into native/build/, so no
// test pays for a build. Without the sources (../shared/vendor,
// or SKYNET_SRC and SKYNET_JEMALLOC_SRC) it says so and builds nothing; the tests that need them then skip.
import { SimloadError } from '../errors.js';
import { buildSkynetAgent } from './agent-build.js';
import { buildAll } from './build-all.js';
import { PEER_RECIPES, peerSources } from './peers.js';
import { buildSkynet } from './skynet-build.js';

const log = (s: string): void => void process.stderr.write(`simload peers: ${s}\n`);
try {
  const src = peerSources();
  if (!src) {
    log(
      'no skynet and jemalloc sources (../shared/vendor, or SKYNET_SRC and SKYNET_JEMALLOC_SRC): peer builds skipped',
    );
  } else {
    await buildAll({ source: src.jemalloc, log });
    for (const recipe of PEER_RECIPES) {
      const b = await buildSkynet({ skynetSrc: src.skynet, jemallocSrc: src.jemalloc, recipe, log });
      log(`skynet ${recipe} ready (jemalloc ${b.jemallocVersion}): ${b.binary}`);
      // simload's agent VMs on this skynet's own Lua (scenario `server.lua: skynet`)
      log(`skynet ${recipe}: agent library with its Lua: ${await buildSkynetAgent(b.root, log)}`);
    }
  }
} catch (err) {
  log(err instanceof SimloadError ? `${err.code}: ${err.message}` : String((err as Error)?.stack ?? err));
  process.exitCode = 1;
}
