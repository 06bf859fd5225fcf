// Which environment variables a variant's `env:` may set in the server process. An allow-list, because a
// scenario is data and must not run code: NODE_OPTIONS (--require, --import), LD_PRELOAD, LD_LIBRARY_PATH,
// BASH_ENV and many more would load or run a file. Allowed are allocator tunables that only change numbers.

/** glibc malloc's environment tunables (mallopt(3)), and libuv's pool size. */
export const VARIANT_ENV_ALLOWED: readonly string[] = [
  'MALLOC_ARENA_MAX',
  'MALLOC_ARENA_TEST',
  'MALLOC_TRIM_THRESHOLD_',
  'MALLOC_TOP_PAD_',
  'MALLOC_MMAP_THRESHOLD_',
  'MALLOC_MMAP_MAX_',
  'MALLOC_PERTURB_',
  'GLIBC_TUNABLES',
  'UV_THREADPOOL_SIZE',
];

/** Null when `name` may be set by a variant's `env:`, else why not. */
export function variantEnvProblem(name: string): string | null {
  if (name === 'MALLOC_CONF' || name === 'JE_MALLOC_CONF')
    return 'set `malloc_conf:` instead (simload picks the variable the build reads)';
  if (name === 'LD_PRELOAD') return 'use `lib:` to load your own allocator';
  if (VARIANT_ENV_ALLOWED.includes(name)) return null;
  return `${name} is not allowed: a scenario must not change what the server runs (${name === 'NODE_OPTIONS' ? 'NODE_OPTIONS can --require any file' : 'only allocator tunables are passed on'}); allowed: ${VARIANT_ENV_ALLOWED.join(', ')}`;
}
