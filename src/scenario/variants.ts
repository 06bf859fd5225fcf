// The `variants:` section: names, builds or libraries, malloc_conf and env, checked against the allocator
// catalog; every problem goes to `problem` with its data path.

import { isAbsolute, resolve as resolvePath } from 'node:path';
import type { VariantOptions } from '../alloc/options.js';
import { variantEnvProblem } from '../alloc/env.js';
import { confRangeProblem } from '../alloc/conf.js';
import { checkRegularFile } from '../input-file.js';
import { buildNames } from './builds.js';
import { resolveSkynetVariant } from './skynet-variant.js';
import { sourcePath, type SourceWords } from './source-path.js';
import { didYouMean, type PathPart } from './problems.js';

/** jemalloc options, to catch typos in malloc_conf (an unknown option is only a warning to jemalloc). */
const JEMALLOC_OPTIONS = [
  'abort',
  'abort_conf',
  'cache_oblivious',
  'confirm_conf',
  'metadata_thp',
  'trust_madvise',
  'retain',
  'dss',
  'narenas',
  'oversize_threshold',
  'percpu_arena',
  'background_thread',
  'max_background_threads',
  'dirty_decay_ms',
  'muzzy_decay_ms',
  'lg_extent_max_active_fit',
  'junk',
  'zero',
  'utrace',
  'xmalloc',
  'tcache',
  'tcache_max',
  'lg_tcache_max',
  'thp',
  'stats_print',
  'stats_print_opts',
  'stats_interval',
  'hpa',
  'prof',
  'prof_active',
  'prof_prefix',
  'lg_prof_sample',
  'lg_prof_interval',
  'prof_gdump',
  'prof_final',
  'prof_leak',
  'prof_accum',
  'lg_chunk',
  'decay_time',
  'purge',
  'lg_dirty_mult',
  'san_guard_small',
  'san_guard_large',
];

/** `unset`: a variant whose `${NAME}` is not set in the environment (it cannot run; the file itself is valid). */
export function resolveVariants(
  v: unknown,
  baseDir: string,
  problem: (path: PathPart[], message: string) => void,
  unset: (variant: VariantOptions, path: PathPart[], message: string) => void,
): VariantOptions[] {
  if (!Array.isArray(v)) return [];
  const out: VariantOptions[] = [];
  const names = new Map<string, number>();
  const builds = buildNames();
  v.forEach((item, i) => {
    const x = obj(item);
    if (!x || typeof x.name !== 'string') return;
    const p: PathPart[] = ['variants', i];
    const first = names.get(x.name);
    if (first !== undefined) problem([...p, 'name'], `"${x.name}" is already the name of variants[${first}]`);
    else names.set(x.name, i);
    const vo: VariantOptions = { name: x.name };
    const hasBuild = typeof x.build === 'string';
    const hasLib = typeof x.lib === 'string';
    if (hasBuild && hasLib) problem(p, 'give either `build:` or `lib:`, not both');
    if (x.skynet !== undefined) {
      // skynet links its own jemalloc: the simload allocator keys do not apply to it.
      for (const k of ['build', 'lib', 'jemalloc', 'prefix'] as const) {
        if (x[k] === undefined) continue;
        problem(
          [...p, k],
          `does not apply to a real skynet (\`skynet:\` builds skynet with its own jemalloc${k === 'jemalloc' ? '; yours: `skynet: {build, tree, jemalloc}`' : ''})`,
        );
      }
      const sky = resolveSkynetVariant(x.skynet, [...p, 'skynet'], baseDir, problem, (path, m) => unset(vo, path, m));
      if (sky) vo.skynet = sky;
    } else if (!hasBuild && !hasLib && x.build === undefined && x.lib === undefined) {
      problem(
        p,
        `needs \`build:\` (one of ${builds.join(', ')}), \`lib:\` (a path to your allocator library) or \`skynet:\` (a real skynet)`,
      );
    }
    if (hasBuild) {
      const b = x.build as string;
      if (!builds.includes(b))
        problem([...p, 'build'], `unknown build "${b}"${didYouMean(b, builds)} (known: ${builds.join(', ')})`);
      vo.build = b;
    }
    if (typeof x.jemalloc === 'string' && x.skynet === undefined) {
      if (!hasBuild || x.build === 'glibc')
        problem([...p, 'jemalloc'], 'a jemalloc source goes with `build: madv-free` or `build: no-madv-free`');
      const src = jemallocSource(
        x.jemalloc,
        baseDir,
        (m) => problem([...p, 'jemalloc'], m),
        process.env,
        (m) => unset(vo, [...p, 'jemalloc'], m),
      );
      if (src !== null) vo.jemalloc = src;
    }
    if (hasLib) {
      const lib = x.lib as string;
      const abs = isAbsolute(lib) ? lib : resolvePath(baseDir, lib);
      const bad = checkRegularFile(abs);
      if (bad)
        problem([...p, 'lib'], bad.problem === 'no such file' ? `no such file: ${abs}` : `${abs} ${bad.problem}`);
      vo.lib = abs;
    }
    if ((x.prefix === 'je_' || x.prefix === 'none') && x.skynet === undefined) {
      if (!hasLib) problem([...p, 'prefix'], 'only applies with `lib:` (builds know their prefix)');
      vo.prefix = x.prefix;
    }
    if (typeof x.malloc_conf === 'string') {
      checkMallocConf(x.malloc_conf, [...p, 'malloc_conf'], problem);
      if (vo.build === 'glibc')
        problem([...p, 'malloc_conf'], 'the glibc build has no malloc_conf (it is a jemalloc setting)');
      vo.mallocConf = x.malloc_conf;
    }
    const env = obj(x.env);
    if (env) {
      const e: Record<string, string> = {};
      for (const [k, val] of Object.entries(env)) {
        const why = /^[A-Za-z_][A-Za-z0-9_]*$/.test(k)
          ? variantEnvProblem(k)
          : `"${k}" is not an environment variable name`;
        if (why) problem([...p, 'env', k], why);
        else if (typeof val === 'string' && val.length > MAX_MALLOC_CONF)
          problem([...p, 'env', k], `must be at most ${MAX_MALLOC_CONF} characters, got ${val.length}`);
        else if (typeof val === 'string') e[k] = val;
      }
      vo.env = e;
    }
    out.push(vo);
  });
  return out;
}

const JEMALLOC_SOURCE: SourceWords = {
  what: 'jemalloc source',
  unsetHint: "a jemalloc source tree (e.g. your skynet checkout's 3rd/jemalloc) or a jemalloc release tarball",
  expected: 'a source tree or a release tarball',
};

/** A variant's jemalloc source (source-path.ts): a tree or a release tarball, which is hashed and unpacked. Null after a problem. */
export function jemallocSource(
  value: string,
  baseDir: string,
  problem: (message: string) => void,
  env: NodeJS.ProcessEnv = process.env,
  unset: (message: string) => void = problem,
): string | null {
  return sourcePath(value, baseDir, JEMALLOC_SOURCE, { problem, unset }, env) ?? null;
}

/** Longer malloc_conf text is no configuration but a mistake; the kernel refuses env strings over 128 KiB (E2BIG). */
export const MAX_MALLOC_CONF = 4096;

export function checkMallocConf(
  conf: string,
  path: PathPart[],
  problem: (path: PathPart[], message: string) => void,
): void {
  if (conf.length > MAX_MALLOC_CONF) {
    problem(path, `must be at most ${MAX_MALLOC_CONF} characters, got ${conf.length}`);
    return;
  }
  if (conf.trim() === '') return;
  for (const pair of conf.split(',')) {
    const m = /^([A-Za-z_][A-Za-z0-9_]*):(\S+)$/.exec(pair.trim());
    if (!m) {
      problem(
        path,
        `expected option:value pairs separated by commas (dirty_decay_ms:10000,muzzy_decay_ms:10000), got ${JSON.stringify(pair)}`,
      );
      return;
    }
    const [, key, value] = m as unknown as [string, string, string];
    if (!JEMALLOC_OPTIONS.includes(key)) {
      const hint = didYouMean(key, JEMALLOC_OPTIONS);
      // Unknown options are only a warning to jemalloc; a near miss is almost surely a typo that would
      // silently run another experiment.
      if (hint) problem(path, `unknown jemalloc option "${key}"${hint}`);
    }
    if ((key === 'dirty_decay_ms' || key === 'muzzy_decay_ms') && !(/^-?\d+$/.test(value) && Number(value) >= -1)) {
      problem(path, `${key} must be a whole number of ms, or -1 for never, got ${JSON.stringify(value)}`);
    }
    if (key === 'background_thread' && value !== 'true' && value !== 'false') {
      problem(path, `background_thread must be true or false, got ${JSON.stringify(value)}`);
    }
    if (key === 'narenas' && !/^[1-9]\d*$/.test(value))
      problem(path, `narenas must be a positive integer, got ${JSON.stringify(value)}`);
    const range = confRangeProblem(key, value);
    if (range) problem(path, range);
  }
}

function obj(v: unknown): Record<string, unknown> | null {
  return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : null;
}
