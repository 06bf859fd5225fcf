// The real systems simload is compared with ("peers"): skynet built with the incident's jemalloc, with and
// without MADV_FREE. Sources come from paths the user gives; in this repository's CI and tests they default
// to ../shared/vendor/ beside the project (never copied into it).
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { SimloadError } from '../errors.js';
import { packageRoot } from './paths.js';

export interface PeerSources {
  skynet: string;
  jemalloc: string;
}

const VENDOR = resolve(packageRoot, '..', 'shared', 'vendor');

/** Where the peer sources are looked for: SKYNET_SRC / SKYNET_JEMALLOC_SRC when set, else the vendored tarballs. */
export function peerSourcePaths(env: NodeJS.ProcessEnv = process.env): PeerSources {
  return {
    skynet: env['SKYNET_SRC'] ?? join(VENDOR, 'skynet-f19d1605.tar.gz'),
    jemalloc: env['SKYNET_JEMALLOC_SRC'] ?? join(VENDOR, 'jemalloc-5.0.1.tar.bz2'),
  };
}

/** The peer sources (peerSourcePaths) when both exist; null if either is missing. */
export function peerSources(env: NodeJS.ProcessEnv = process.env): PeerSources | null {
  const { skynet, jemalloc } = peerSourcePaths(env);
  return existsSync(skynet) && existsSync(jemalloc) ? { skynet, jemalloc } : null;
}

export function requirePeerSources(env: NodeJS.ProcessEnv = process.env): PeerSources {
  const s = peerSources(env);
  if (!s) {
    throw new SimloadError(
      'ERR_SKYNET_SOURCE',
      'no skynet source: set SKYNET_SRC to a skynet checkout or tarball and SKYNET_JEMALLOC_SRC to the jemalloc it ships ' +
        `(its 3rd/jemalloc, or a release tarball); looked for them in ${VENDOR} too`,
    );
  }
  return s;
}

export const PEER_RECIPES = ['madv-free', 'no-madv-free'] as const;
