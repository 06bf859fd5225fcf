// How a server process loads its allocator: the allocator's own variant options, so alloc/ needs nothing of
// the server (the scenario, the server and the probe name them from here).

/** How the server process loads its allocator. Exactly one of `build` or `lib`. */
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
  /**
   * Set when the variant cannot run as written because its scenario names an environment variable that is not
   * set: the scenario's `file:line:col path: message`. The rest of the scenario was validated.
   */
  unresolved?: string;
}
