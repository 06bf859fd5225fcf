// The jemalloc variants simload builds: configure flags and the edits that make each one what its name says.

export interface Recipe {
  name: string;
  describe: string;
  /** Passed to ./configure. */
  configureFlags: string[];
  /** Lines written to config.cache before configure (autoconf's cache, e.g. je_cv_madv_free=no). */
  configCache: string[];
  /** Macros taken out of include/jemalloc/internal/jemalloc_internal_defs.h after configure. */
  removeDefines: string[];
  /** Macros that must (true) or must not (false) be defined in the generated header; checked after edits. */
  expectDefines: Record<string, boolean>;
}

// Every build: the je_ prefix skynet uses, and no initial-exec TLS, without which dlopen into Node fails
// ("cannot allocate memory in static TLS block"). C++ operators are not needed.
const common = ['--with-jemalloc-prefix=je_', '--disable-initial-exec-tls', '--disable-cxx'];

export const RECIPES: readonly Recipe[] = [
  {
    name: 'madv-free',
    describe: 'stock configure: lazy purging with MADV_FREE (muzzy pages stay in Rss until the kernel needs them)',
    configureFlags: common,
    configCache: [],
    removeDefines: [],
    expectDefines: { JEMALLOC_PURGE_MADVISE_FREE: true },
  },
  {
    name: 'no-madv-free',
    describe: 'je_cv_madv_free=no plus the x86-64 fallback defines removed: purging is always MADV_DONTNEED',
    configureFlags: common,
    configCache: ['je_cv_madv_free=no'],
    // jemalloc >= 5.1 defines these on x86/x86-64 Linux even when the check says no (jemalloc #2728).
    removeDefines: ['JEMALLOC_PURGE_MADVISE_FREE', 'JEMALLOC_DEFINE_MADVISE_FREE'],
    expectDefines: { JEMALLOC_PURGE_MADVISE_FREE: false, JEMALLOC_DEFINE_MADVISE_FREE: false },
  },
];

export function recipeFor(name: string): Recipe | undefined {
  return RECIPES.find((r) => r.name === name);
}
