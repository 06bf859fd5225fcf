// What a real skynet's debug console told and cost, per variant, from the samples `simload watch
// --skynet-console` took: the round trip of `jmem` and of the per-service reads, the decay settings read through
// `inject`, and the samples where Lua memory peaked and ended (report/skynet-section.ts draws them). Pure.

import type { Sample, SkynetSample } from '../results/sample.js';
import { median } from './phases.js';

export type WithSkynet = Sample & { skynet: SkynetSample };

/** Times in ms over the readings that have one. */
export interface Spread {
  median: number;
  max: number;
  count: number;
}

export interface SkynetConsole {
  /** The variant's samples read through the console, in order. */
  samples: WithSkynet[];
  /** `jmem`'s round trip; null when the console never answered. */
  roundTrip: Spread | null;
  /** Samples without an answer. */
  unanswered: number;
  /** The per-service reads (`list`, `cmem`, `mem`); null when none was timed. */
  serviceReads: Spread | null;
  /** The mallctls read through `inject` (`--skynet-inject`), from the first sample that has them. */
  mallctl: Record<string, number> | undefined;
  /** jemalloc's figures came from `jmem` alone (allocated, active, resident, mapped, retained). */
  jmemOnly: boolean;
  /** The sample with the most Lua memory and the last one with a `mem` reading; null without any. */
  luaPeak: WithSkynet | null;
  luaEnd: WithSkynet | null;
}

/** Null when none of the samples was read through the console. */
export function skynetConsole(all: readonly Sample[]): SkynetConsole | null {
  const samples = all.filter((s): s is WithSkynet => s.skynet !== undefined);
  if (samples.length === 0) return null;
  const rtt = samples.map((s) => s.skynet.consoleMs).filter((x): x is number => x !== null);
  const svc = samples.map((s) => s.skynet.servicesMs).filter((x): x is number => x !== undefined);
  const withMem = samples.filter((s) => s.skynet.luaTotal !== null);
  let luaPeak: WithSkynet | null = withMem[0] ?? null;
  for (const s of withMem) if (s.skynet.luaTotal! > luaPeak!.skynet.luaTotal!) luaPeak = s;
  return {
    samples,
    roundTrip: spread(rtt),
    unanswered: samples.length - rtt.length,
    serviceReads: spread(svc),
    mallctl: samples.find((s) => s.skynet.mallctl)?.skynet.mallctl,
    jmemOnly: samples.some((s) => s.alloc?.source === 'skynet-jmem'),
    luaPeak,
    luaEnd: withMem.at(-1) ?? null,
  };
}

function spread(xs: number[]): Spread | null {
  if (xs.length === 0) return null;
  const sorted = [...xs].sort((a, b) => a - b);
  return { median: median(sorted)!, max: sorted.at(-1)!, count: sorted.length };
}
