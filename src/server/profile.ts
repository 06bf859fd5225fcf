// Deterministic size draws for player state and per-message temporaries. A player's draws depend only on the
// seed and the player's login ordinal, so two variants fed the same logins allocate the same sizes.

import type { SizeDistribution, StateProfile } from './options.js';

/** mulberry32 step on a 32-bit state; returns [0, 2^32) and the next state through `rng.s`. */
export class Rng {
  s: number;
  constructor(seed: number) {
    this.s = seed | 0;
  }
  nextU32(): number {
    let t = (this.s = (this.s + 0x6d2b79f5) | 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  }
  /** [0, 1) */
  next(): number {
    return this.nextU32() / 4294967296;
  }
}

/** The RNG seed of the player with this login ordinal (0, 1, 2, ...): a hash so neighbours do not correlate. */
export function playerSeed(seed: number, ordinal: number): number {
  let h = Math.imul((seed | 0) ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(ordinal | 0, 0xc2b2ae35);
  h ^= h >>> 16;
  h = Math.imul(h, 0x7feb352d);
  h ^= h >>> 15;
  h = Math.imul(h, 0x846ca68b);
  return (h ^ (h >>> 16)) | 0;
}

/** Draws sizes from one SizeDistribution. Construct once, draw many times. */
export class SizeSampler {
  readonly mean: number;
  private readonly draw_: (rng: Rng) => number;

  constructor(d: SizeDistribution) {
    this.mean = distributionMean(d);
    if (d.kind === 'classes') {
      const sizes = d.classes.map((c) => Math.max(1, Math.round(c.size)));
      const total = d.classes.reduce((a, c) => a + c.weight, 0);
      const cum: number[] = [];
      let acc = 0;
      for (const c of d.classes) cum.push((acc += c.weight / total));
      cum[cum.length - 1] = 1;
      this.draw_ = (rng) => {
        const u = rng.next();
        for (let i = 0; i < cum.length; i++) if (u < cum[i]!) return sizes[i]!;
        return sizes[sizes.length - 1]!;
      };
    } else {
      const { median, sigma, min, max } = d;
      this.draw_ = (rng) => {
        // Box-Muller; 1 - u keeps log() away from 0.
        const z = Math.sqrt(-2 * Math.log(1 - rng.next())) * Math.cos(2 * Math.PI * rng.next());
        return Math.round(Math.min(max, Math.max(min, median * Math.exp(sigma * z))));
      };
    }
  }

  draw(rng: Rng): number {
    return this.draw_(rng);
  }

  /** Fills `out` with draws. */
  fill(rng: Rng, out: Uint32Array | Int32Array | number[], count = out.length): void {
    for (let i = 0; i < count; i++) out[i] = this.draw_(rng);
  }
}

/** Expected size of one draw, bytes: exact for classes, numeric for the clipped log-normal. */
export function distributionMean(d: SizeDistribution): number {
  if (d.kind === 'classes') {
    const total = d.classes.reduce((a, c) => a + c.weight, 0);
    return d.classes.reduce((a, c) => a + Math.max(1, Math.round(c.size)) * c.weight, 0) / total;
  }
  // E[clamp(median * e^(sigma z), min, max)] over z ~ N(0,1), midpoint rule on [-8, 8].
  const steps = 8000;
  const dz = 16 / steps;
  let sum = 0;
  for (let i = 0; i < steps; i++) {
    const z = -8 + (i + 0.5) * dz;
    const v = Math.min(d.max, Math.max(d.min, d.median * Math.exp(d.sigma * z)));
    sum += v * Math.exp(-0.5 * z * z);
  }
  return (sum * dz) / Math.sqrt(2 * Math.PI);
}

/** Expected bytes of one player's state at login. */
export function profileMeanBytes(p: StateProfile): number {
  return p.objects * distributionMean(p.sizes);
}

/** The sizes the player with this ordinal gets at login (what the worker allocates), for checks and tools. */
export function drawPlayerSizes(p: StateProfile, seed: number, ordinal: number): Int32Array {
  const out = new Int32Array(p.objects);
  new SizeSampler(p.sizes).fill(new Rng(playerSeed(seed, ordinal)), out);
  return out;
}
