// Test helper (not a test): a watch sample with a given time and Rss, nothing else measured.
import type { Sample } from '../../src/results/sample.js';

const MiB = 2 ** 20;

/** A baseline sample of variant `w` at `t` ms with `rssMiB` of Rss; `o` overrides any field. */
export function watchSample(t: number, rssMiB: number, o: Partial<Sample> = {}): Sample {
  return {
    v: 1,
    variant: 'w',
    t,
    wall: 1e12 + t,
    phaseIndex: -1,
    phase: 'baseline',
    target: 1,
    online: 0,
    proc: { rss: rssMiB * MiB, lazyFree: 0, anonymous: 0, anonHugePages: 0, vmHWM: 0 },
    alloc: null,
    runtime: null,
    ...o,
  };
}
