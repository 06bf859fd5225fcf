// prom-client metrics that remember which label sets each variant has set, so a variant that ended (or an arena,
// a phase, a service that left the top list) can be removed: Prometheus then marks its series stale instead of
// repeating the last value for minutes. Counters are fed the cumulative values the server and jemalloc report:
// each is incremented by what it grew since the last sample (a counter that went back, a fresh process, starts
// over).

import { Counter, Gauge, Registry, type OpenMetricsContentType } from 'prom-client';

export type MetricsRegistry = Registry<OpenMetricsContentType>;

/** A registry that writes OpenMetrics text (what Prometheus asks for first). */
export function openMetricsRegistry(): MetricsRegistry {
  const r = new Registry<OpenMetricsContentType>();
  r.setContentType(Registry.OPENMETRICS_CONTENT_TYPE);
  return r;
}

export type Labels = Record<string, string>;

const keyOf = (l: Labels) => JSON.stringify(Object.entries(l).sort(([a], [b]) => (a < b ? -1 : 1)));

abstract class Tracked {
  /** variant -> label key -> labels. */
  protected readonly sets = new Map<string, Map<string, Labels>>();
  protected abstract removeSet(labels: Labels): void;

  protected remember(labels: Labels): string {
    const variant = labels.variant ?? '';
    let m = this.sets.get(variant);
    if (!m) this.sets.set(variant, (m = new Map()));
    const key = keyOf(labels);
    m.set(key, labels);
    return key;
  }

  /** Removes every series of `variant` (optionally only those `keep` does not hold). */
  forget(variant: string, keep?: (l: Labels) => boolean): void {
    const m = this.sets.get(variant);
    if (!m) return;
    for (const [key, labels] of m) {
      if (keep?.(labels)) continue;
      this.removeSet(labels);
      m.delete(key);
    }
  }
}

export class GaugeSeries extends Tracked {
  private readonly g: Gauge;
  constructor(registry: MetricsRegistry, name: string, help: string, labelNames: string[]) {
    super();
    this.g = new Gauge({ name, help, labelNames: ['variant', ...labelNames], registers: [registry] });
  }

  set(labels: Labels, value: number | null | undefined): void {
    if (value === null || value === undefined || !Number.isFinite(value)) return;
    this.remember(labels);
    this.g.set(labels, value);
  }

  /** Sets the listed label sets of `variant` and removes the ones not listed (a list that changes per sample). */
  replace(variant: string, rows: Array<{ labels: Labels; value: number }>): void {
    const now = new Set(rows.map((r) => keyOf({ variant, ...r.labels })));
    this.forget(variant, (l) => now.has(keyOf(l)));
    for (const r of rows) this.set({ variant, ...r.labels }, r.value);
  }

  protected removeSet(labels: Labels): void {
    this.g.remove(labels);
  }
}

export class CounterSeries extends Tracked {
  private readonly c: Counter;
  private readonly last = new Map<string, number>();
  constructor(registry: MetricsRegistry, name: string, help: string, labelNames: string[]) {
    super();
    this.c = new Counter({ name, help, labelNames: ['variant', ...labelNames], registers: [registry] });
  }

  /** The counter follows `cumulative`, a running total read from elsewhere. */
  follow(labels: Labels, cumulative: number | null | undefined): void {
    if (cumulative === null || cumulative === undefined || !Number.isFinite(cumulative) || cumulative < 0) return;
    const key = this.remember(labels);
    const prev = this.last.get(key);
    if (prev === undefined || cumulative < prev) {
      this.c.remove(labels);
      this.c.inc(labels, cumulative);
    } else if (cumulative > prev) {
      this.c.inc(labels, cumulative - prev);
    }
    this.last.set(key, cumulative);
  }

  protected removeSet(labels: Labels): void {
    this.c.remove(labels);
    this.last.delete(keyOf(labels));
  }
}
