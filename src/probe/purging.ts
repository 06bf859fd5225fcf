// How a probe measurement reads: lazy (MADV_FREE), eager (MADV_DONTNEED), or retained; and the probe's verdict
// when `--expect` names the purging it asks for. Pure.
import { verdictOf, type Verdict } from '../verdict.js';
import type { ProbeMeasurement } from './messages.js';

export type Purging = 'lazy' | 'eager' | 'retained';

export interface PurgingReading {
  purging: Purging;
  /** LazyFree after the free / freed bytes. */
  lazyShare: number;
  /** Rss after alloc - Rss after free. */
  rssFall: number;
  /** rssFall / freed bytes. */
  rssFallShare: number;
  /** Rss - LazyFree after the free: what the kernel could not reclaim. */
  unreclaimable: number;
}

/** Lazy: LazyFree holds at least half of what was freed. Eager: almost no LazyFree and Rss fell by 80%+ of it. */
export const LAZY_MIN_SHARE = 0.5;
export const EAGER_MAX_LAZY_SHARE = 0.01;
export const EAGER_MIN_FALL_SHARE = 0.8;

export function readPurging(m: ProbeMeasurement): PurgingReading {
  const freed = Math.max(1, m.freedBytes);
  const lazyShare = m.afterFree.lazyFree / freed;
  const rssFall = m.afterAlloc.rss - m.afterFree.rss;
  const rssFallShare = rssFall / freed;
  const purging: Purging =
    lazyShare >= LAZY_MIN_SHARE
      ? 'lazy'
      : lazyShare < EAGER_MAX_LAZY_SHARE && rssFallShare >= EAGER_MIN_FALL_SHARE
        ? 'eager'
        : 'retained';
  return { purging, lazyShare, rssFall, rssFallShare, unreclaimable: m.afterFree.rss - m.afterFree.lazyFree };
}

/** ok unless `expect` names a purging other than the one measured. */
export function probeVerdict(measured: Purging, expect?: Purging): Verdict {
  return expect === undefined || expect === measured
    ? verdictOf('ok')
    : verdictOf('expect-failed', [`probe expected ${expect} purging, measured ${measured}`]);
}
