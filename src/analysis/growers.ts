// Which service holds it, for a watched skynet: Lua memory (`mem`) plus C memory (`cmem`) per service at two
// readings, and the services that grew most between them: between consecutive marks, from the peak mark to
// the end, and over the whole watch. Each sample keeps only the largest services by name (the watch's
// --skynet-top) and sums the rest, so a service outside a reading's lists is only known to be at most the
// smallest listed: at the start it is taken at that bound, at the end at 0, and its growth is then a lower
// bound (`exact: false`). Exited services' C memory at the last reading comes with it. Pure.

import type { CmemGroup, Sample, SkynetSample } from '../results/sample.js';

/** Growers listed per span. */
export const TOP_GROWERS = 10;

export interface ServiceGrowth {
  address: string;
  /** The launch command (`snlua agent`); null when the watch never saw the service in `list` or `mem`. */
  name: string | null;
  /** Lua + C memory at the span's start (an upper bound when not exact) and end (a lower bound), bytes. */
  from: number;
  to: number;
  /** to - from: exact, or a lower bound when the service was below a reading's lists. */
  growth: number;
  exact: boolean;
  /** Of `to`, the C memory. */
  cmem: number;
  /** At the end gone from the launcher's list, with C memory still charged to it. */
  exited: boolean;
}

export interface GrowthSpan {
  /** The phase the span starts in (`baseline` before the first mark) and the one it ends in (`end`: the last reading). */
  from: string;
  to: string;
  fromMs: number;
  toMs: number;
  /** Lua total (`mem`) and C total (skynet's `total` line of `cmem`) at the start and end, bytes. */
  luaFrom: number;
  luaTo: number;
  cFrom: number | null;
  cTo: number | null;
  /** The services that grew most, at most TOP_GROWERS. */
  services: ServiceGrowth[];
}

export interface AttributionSummary {
  /** Samples that read every service: `cmem` and a complete `mem`. */
  readings: number;
  spans: GrowthSpan[];
  /** At the last reading: C memory of services in the list, of exited ones, of handles never listed. */
  last: { t: number; live: CmemGroup; exited: CmemGroup; unlisted: CmemGroup };
}

type Reading = Sample & { skynet: SkynetSample & { luaTotal: number; cmem: NonNullable<SkynetSample['cmem']> } };

const GROUPS = ['live', 'exited', 'unlisted'] as const;

/** Null without at least one reading (no console, `--skynet-mem off`, or a skynet without cmem). */
export function attributionSummary(samples: Sample[]): AttributionSummary | null {
  const readings = samples.filter(
    (s): s is Reading => s.skynet !== undefined && s.skynet.cmem !== undefined && s.skynet.luaTotal !== null,
  );
  if (readings.length === 0) return null;
  const last = readings.at(-1)!;
  const spans: GrowthSpan[] = [];
  const firstIn = new Map<number, Reading>();
  for (const r of readings) if (!firstIn.has(r.phaseIndex)) firstIn.set(r.phaseIndex, r);
  const starts = [...firstIn.entries()].sort((a, b) => a[0] - b[0]).map((e) => e[1]);
  starts.forEach((a, i) => {
    const b = starts[i + 1] ?? last;
    if (b !== a) spans.push(growthSpan(a, b, starts[i + 1] ? b.phase : 'end'));
  });
  const peak = starts.find((r) => r.phase === 'peak' || r.phase === 'hold');
  if (peak && peak !== starts.at(-1) && peak !== last) spans.push(growthSpan(peak, last, 'end'));
  if (starts.length > 1 && readings[0] !== last) spans.push(growthSpan(readings[0]!, last, 'end'));
  const c = last.skynet.cmem;
  return {
    readings: readings.length,
    spans,
    last: { t: last.t, live: c.live, exited: c.exited, unlisted: c.unlisted },
  };
}

type Group = (typeof GROUPS)[number];

interface Known {
  /** Exact bytes when listed by name. */
  mem?: number;
  cmem?: number;
  /** The C group the handle is listed in. */
  group?: Group;
  name: string | null;
}

function known(r: Reading, address: string): Known {
  const k: Known = { name: null };
  const m = r.skynet.top.find((x) => x.address === address);
  if (m) {
    k.mem = m.bytes;
    k.name = m.name;
  }
  for (const g of GROUPS) {
    const h = r.skynet.cmem[g].top.find((x) => x.address === address);
    if (!h) continue;
    k.cmem = h.bytes;
    k.name ??= h.name;
    k.group = g;
  }
  return k;
}

/** The most a service outside the reading's lists can hold: the smallest listed, 0 when a list holds them all. */
function bounds(r: Reading): { mem: number } & Record<Group, number> {
  const top = r.skynet.top;
  const smallest = (n: number, listed: Array<{ bytes: number }>) =>
    n > listed.length ? Math.max(0, listed.at(-1)?.bytes ?? 0) : 0;
  const c = r.skynet.cmem;
  return {
    mem: smallest(Math.max(r.skynet.luaServices, (r.skynet.luaRest ?? 0) > 0 ? top.length + 1 : 0), top),
    live: smallest(c.live.count, c.live.top),
    exited: smallest(c.exited.count, c.exited.top),
    unlisted: smallest(c.unlisted.count, c.unlisted.top),
  };
}

function growthSpan(a: Reading, b: Reading, to: string): GrowthSpan {
  const ba = bounds(a);
  const bb = bounds(b);
  const candidates = new Set<string>(b.skynet.top.map((x) => x.address));
  for (const g of GROUPS) for (const h of b.skynet.cmem[g].top) candidates.add(h.address);
  const out: ServiceGrowth[] = [];
  for (const address of candidates) {
    const ka = known(a, address);
    const kb = known(b, address);
    // Where the handle was at the start, when not listed there: a service listed at the end was running or not
    // yet started; one exited at the end was running or had exited; one never listed was never listed.
    const groupB = kb.group ?? 'live';
    const cmemBoundA = groupB === 'exited' ? Math.max(ba.live, ba.exited) : ba[groupB];
    // An exited or never-listed handle has no Lua memory in `mem` (it asks the listed services only).
    const goneA = ka.group !== undefined && ka.group !== 'live';
    const memA = ka.mem ?? (goneA || groupB === 'unlisted' ? 0 : ba.mem);
    const cmemA = ka.cmem ?? cmemBoundA;
    const memB = kb.mem ?? 0;
    const cmemB = kb.cmem ?? 0;
    const exact =
      memA === (ka.mem ?? 0) &&
      cmemA === (ka.cmem ?? 0) &&
      (kb.mem !== undefined || groupB !== 'live' || bb.mem === 0) &&
      (kb.cmem !== undefined || bb.live === 0);
    const from = memA + cmemA;
    const growth = memB + cmemB - from;
    if (growth <= 0) continue;
    out.push({
      address,
      name: kb.name ?? ka.name,
      from,
      to: memB + cmemB,
      growth,
      exact,
      cmem: cmemB,
      exited: groupB === 'exited',
    });
  }
  out.sort((x, y) => y.growth - x.growth || (x.address < y.address ? -1 : 1));
  return {
    from: a.phase,
    to,
    fromMs: a.t,
    toMs: b.t,
    luaFrom: a.skynet.luaTotal,
    luaTo: b.skynet.luaTotal,
    cFrom: a.skynet.cmem.total,
    cTo: b.skynet.cmem.total,
    services: out.slice(0, TOP_GROWERS),
  };
}
