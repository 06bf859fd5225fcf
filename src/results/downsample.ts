// Downsampling of a long watch's older samples. Per period (periods are aligned on multiples of it in `t`) and
// variant it keeps whole samples, never made-up ones, so every reader of samples reads them unchanged: the
// highest and lowest Rss (peaks and troughs survive), the highest allocated and LazyFree, the first sample of
// each phase (a mark stays sharp), the last per-service reading (`mem`/`cmem`: attribution and per-service drift)
// and the last sample. Pure.

import type { Sample } from './sample.js';

interface Period {
  key: number;
  picks: Map<string, Sample>;
}

/** A sample that read every service (`cmem`, or a complete `mem`). */
export function isServiceReading(s: Sample): boolean {
  return s.skynet !== undefined && (s.skynet.cmem !== undefined || s.skynet.luaTotal !== null);
}

export class Downsampler {
  private readonly open = new Map<string, Period>();
  private readonly lastPhase = new Map<string, number>();

  constructor(readonly periodMs: number) {
    if (!(periodMs > 0)) throw new RangeError(`downsampling period ${periodMs}: must be above 0`);
  }

  /** The next sample (in time order within its variant); returns what is kept of a period it closed. */
  push(s: Sample): Sample[] {
    const key = Math.floor(s.t / this.periodMs);
    const cur = this.open.get(s.variant);
    let out: Sample[] = [];
    let p = cur;
    if (cur && cur.key !== key) {
      out = kept(cur);
      p = undefined;
    }
    if (!p) this.open.set(s.variant, (p = { key, picks: new Map() }));
    this.pick(p, s);
    return out;
  }

  /** What is kept of the periods still open. */
  flush(): Sample[] {
    const out = [...this.open.values()].flatMap(kept);
    this.open.clear();
    return out;
  }

  private pick(p: Period, s: Sample): void {
    const higher = (slot: string, f: (x: Sample) => number | null, sign: 1 | -1) => {
      const v = f(s);
      if (v === null) return;
      const cur = p.picks.get(slot);
      if (cur === undefined || sign * (v - f(cur)!) > 0) p.picks.set(slot, s);
    };
    higher('rss-max', (x) => x.proc.rss, 1);
    higher('rss-min', (x) => x.proc.rss, -1);
    higher('allocated-max', (x) => x.alloc?.allocated ?? null, 1);
    // No LazyFree at all (no MADV_FREE, or none yet) is no peak to keep.
    higher('lazyfree-max', (x) => (x.proc.lazyFree > 0 ? x.proc.lazyFree : null), 1);
    if (this.lastPhase.get(s.variant) !== s.phaseIndex) p.picks.set(`phase-${s.phaseIndex}`, s);
    this.lastPhase.set(s.variant, s.phaseIndex);
    if (isServiceReading(s)) p.picks.set('reading', s);
    p.picks.set('last', s);
  }
}

function kept(p: Period): Sample[] {
  return [...new Set(p.picks.values())].sort((a, b) => a.t - b.t);
}

/** All of `samples` downsampled at once (time order within each variant). */
export function downsample(samples: readonly Sample[], periodMs: number): Sample[] {
  const d = new Downsampler(periodMs);
  const out: Sample[] = [];
  for (const s of samples) out.push(...d.push(s));
  out.push(...d.flush());
  return out;
}
