// What the live page draws from: the samples and events recorded so far, and the bots' latency so far, held as
// the report's RunData so the report's own chart and validity code reads it. Samples are kept without their
// per-arena, per-thread and per-size-class detail (the charts and the validity check read none of it). A
// variant holds at most MAX_POINTS samples: past that every other one is dropped and only every second new one
// kept, so an hours-long watch stays small (at 1 s intervals nothing is dropped in the first hour). The run
// folder keeps every sample; the final report reads those.

import type { RunData } from '../analysis/load.js';
import type { LatencyFile, LatencySummary, RunEvent, RunMeta } from '../results/layout.js';
import type { Sample } from '../results/sample.js';
import type { Scenario } from '../scenario/types.js';

export const MAX_POINTS = 3600;

interface VariantHistory {
  samples: Sample[];
  /** Keep one sample in `stride`. */
  stride: number;
  seen: number;
}

export class LiveHistory {
  private readonly variants = new Map<string, VariantHistory>();
  private readonly events: RunEvent[] = [];
  private readonly latency: LatencyFile = { unit: 'us', variants: {} };
  /** Bumped by every change, so a reader can tell whether anything is new. */
  version = 0;

  constructor(
    readonly dir: string,
    private readonly meta: () => Readonly<RunMeta>,
    private readonly scenario: Scenario | null,
  ) {}

  get title(): string {
    return `simload: ${this.scenario?.name ?? this.meta().scenario}`;
  }

  addSample(s: Sample): void {
    let h = this.variants.get(s.variant);
    if (!h) this.variants.set(s.variant, (h = { samples: [], stride: 1, seen: 0 }));
    if (h.seen++ % h.stride !== 0) return;
    h.samples.push(slim(s));
    if (h.samples.length > MAX_POINTS) {
      h.samples = h.samples.filter((_, i) => i % 2 === 0);
      h.stride *= 2;
    }
    this.version++;
  }

  addEvent(e: RunEvent): void {
    this.events.push(e);
    this.version++;
  }

  setLatency(variant: string, phases: Record<string, LatencySummary>): void {
    this.latency.variants[variant] = phases;
    this.version++;
  }

  /** Samples recorded for `variant` (more than are kept past MAX_POINTS). */
  seen(variant: string): number {
    return this.variants.get(variant)?.seen ?? 0;
  }

  /** The latest sample of each variant, in the order they started. */
  latest(): Sample[] {
    return [...this.variants.values()].map((h) => h.samples.at(-1)!).filter(Boolean);
  }

  /** The recording so far as the report reads a folder; `maxPoints`: at most that many samples per variant, evenly spread, the latest kept. */
  runData(maxPoints = Infinity): RunData {
    return {
      dir: this.dir,
      meta: { ...this.meta() },
      scenario: this.scenario,
      samples: [...this.variants.values()].flatMap((h) => thin(h.samples, maxPoints)),
      events: this.events,
      latency: Object.keys(this.latency.variants).length > 0 ? this.latency : null,
      plan: null,
      skippedLines: 0,
    };
  }
}

function thin(samples: Sample[], max: number): Sample[] {
  if (samples.length <= max) return samples;
  const step = samples.length / max;
  const out: Sample[] = [];
  for (let i = samples.length - 1; i >= 0 && out.length < max; i = Math.floor(i - step)) out.push(samples[i]!);
  return out.reverse();
}

function slim(s: Sample): Sample {
  if (!s.alloc && !s.skynet) return s;
  const out: Sample = { ...s };
  if (s.alloc) {
    const { arenas: _a, threads: _t, sizeClasses: _c, ...alloc } = s.alloc;
    out.alloc = alloc;
  }
  if (s.skynet) {
    const { mallctl: _m, cmem: _c, ...skynet } = s.skynet;
    out.skynet = { ...skynet, top: [] };
  }
  return out;
}
