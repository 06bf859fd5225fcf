// malloc_conf checked up front: jemalloc itself only prints "<jemalloc>: Malformed conf string" to stderr and
// carries on with defaults, which would silently measure the wrong thing.
import { UsageError } from '../errors.js';

export interface ConfPair {
  key: string;
  value: string;
}

const BOOL_KEYS = new Set([
  'background_thread',
  'retain',
  'abort',
  'abort_conf',
  'confirm_conf',
  'tcache',
  'stats_print',
  'xmalloc',
  'zero',
  'utrace',
  'trust_madvise',
  'prof',
  'hpa',
]);
const DECAY_KEYS = new Set(['dirty_decay_ms', 'muzzy_decay_ms']);

/**
 * What jemalloc accepts, past which it warns and runs on with its default (or, for narenas, reduces it): the
 * server's own check of the options then fails at its start, after the run began. jemalloc 5.x: a decay time up
 * to NSTIME_SEC_MAX (18446744072 s) in ms; narenas below MALLOCX_ARENA_LIMIT (4095).
 */
export const MAX_DECAY_MS = 18_446_744_072_000;
export const MAX_NARENAS = 4094;

/** Why a value of one of the options simload reads is out of jemalloc's range, or null. */
export function confRangeProblem(key: string, value: string): string | null {
  if (DECAY_KEYS.has(key) && /^-?\d+$/.test(value) && Number(value) > MAX_DECAY_MS)
    return `${key} must be at most ${MAX_DECAY_MS} ms (jemalloc's limit), got ${value}`;
  if (key === 'narenas' && /^\d+$/.test(value) && Number(value) > MAX_NARENAS)
    return `narenas must be at most ${MAX_NARENAS} (jemalloc reduces more to that), got ${value}`;
  return null;
}

/** Parses `key:value,key:value` with jemalloc's grammar (keys [A-Za-z0-9_]+, values up to the next comma). */
export function parseMallocConf(conf: string, where = 'malloc_conf'): ConfPair[] {
  const bad = (why: string) =>
    new UsageError(
      'ERR_MALLOC_CONF',
      `${where} "${conf}" is malformed: ${why} (expected key:value[,key:value...], e.g. dirty_decay_ms:0,muzzy_decay_ms:10000)`,
    );
  if (conf === '') return [];
  const pairs: ConfPair[] = [];
  for (const [i, part] of conf.split(',').entries()) {
    if (part === '') throw bad(i === 0 ? 'it starts with a comma' : 'empty pair (a doubled or trailing comma)');
    const m = /^([A-Za-z0-9_]+):(.*)$/.exec(part);
    if (!m) throw bad(`"${part}" is not key:value with a key of letters, digits and _`);
    const key = m[1]!;
    const value = m[2]!;
    if (value === '') throw bad(`${key} has no value`);
    if (DECAY_KEYS.has(key) && !/^-?\d+$/.test(value))
      throw bad(`${key} must be an integer number of milliseconds or -1, got "${value}"`);
    if (DECAY_KEYS.has(key) && Number(value) < -1) throw bad(`${key} must be >= -1, got ${value}`);
    if (key === 'narenas' && !/^[1-9]\d*$/.test(value)) throw bad(`narenas must be a positive integer, got "${value}"`);
    if (BOOL_KEYS.has(key) && value !== 'true' && value !== 'false')
      throw bad(`${key} must be true or false, got "${value}"`);
    const range = confRangeProblem(key, value);
    if (range) throw bad(range);
    pairs.push({ key, value });
  }
  return pairs;
}

/** The values jemalloc should report back for the options simload reads (last occurrence wins, as in jemalloc). */
export function expectedOpts(conf: string): {
  dirtyDecayMs?: number;
  muzzyDecayMs?: number;
  backgroundThread?: boolean;
  narenas?: number;
} {
  const out: ReturnType<typeof expectedOpts> = {};
  for (const { key, value } of parseMallocConf(conf)) {
    if (key === 'dirty_decay_ms') out.dirtyDecayMs = Number(value);
    else if (key === 'muzzy_decay_ms') out.muzzyDecayMs = Number(value);
    else if (key === 'background_thread') out.backgroundThread = value === 'true';
    else if (key === 'narenas') out.narenas = Number(value);
  }
  return out;
}
