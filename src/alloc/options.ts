// How a server process loads its allocator: the allocator's own variant options, so alloc/ needs nothing of
// the server (the scenario, the server and the probe name them from here).

/** A variant that is a real skynet (`skynet:`), run with its own jemalloc by fidelity/skynet-variant.ts. */
export interface SkynetVariantOptions {
  /** The jemalloc recipe skynet is built with: `madv-free` or `no-madv-free`. */
  build: 'madv-free' | 'no-madv-free';
  /** A user's skynet tree or tarball (absolute); absent: the peer sources (SKYNET_SRC, ../shared/vendor). */
  tree?: string;
  /** The jemalloc source skynet is built with (absolute); absent with `tree`: the tree's 3rd/jemalloc. */
  jemalloc?: string;
}

/** How the server process loads its allocator. Exactly one of `build`, `lib` or `skynet`. */
export interface VariantOptions {
  name: string;
  /** A build from native/ (`madv-free`, `no-madv-free`, `glibc`). */
  build?: string;
  /**
   * With `build`: the jemalloc source (tree or release tarball, absolute path) the build was made from, built
   * by `simload build --source PATH` into native/build/<build>-<version>-<key8>/. Absent: the default source.
   */
  jemalloc?: string;
  /** A user's own library instead of a build. */
  lib?: string;
  prefix?: 'je_' | 'none';
  /** Goes to JE_MALLOC_CONF (prefixed builds) or MALLOC_CONF. */
  mallocConf?: string;
  env?: Record<string, string>;
  /** A real skynet instead of simload's server (`malloc_conf` and `env` still apply). */
  skynet?: SkynetVariantOptions;
  /**
   * Set when the variant cannot run as written because its scenario names an environment variable that is not
   * set: the scenario's `file:line:col path: message`. The rest of the scenario was validated.
   */
  unresolved?: string;
}
