// The bots' latency while a variant runs, for the live outputs (`--metrics`, `--live`): every interval the
// pool's merged histograms so far, in latency.json's form. Only when a live output asks for it: a snapshot
// makes every bot host encode its histograms.

import type { BotPool } from '../driver/bots/pool.js';
import type { LiveOutputs } from '../live/outputs.js';
import { latencySummaries, type PhaseSpans } from './latency.js';

/** Polls until the returned stop is called (which waits for a snapshot in flight, so the pool can stop). */
export function followLatency(
  pool: BotPool,
  variant: string,
  live: LiveOutputs,
  intervalMs: number,
  spans: () => PhaseSpans,
): () => Promise<void> {
  let stopped = false;
  let inFlight: Promise<void> = Promise.resolve();
  const tick = () => {
    inFlight = pool
      .snapshot(Math.max(intervalMs, 1000))
      .then((phases) => {
        if (!stopped) live.latency(variant, latencySummaries(phases, spans()));
      })
      .catch(() => undefined)
      .finally(() => {
        if (!stopped) timer = setTimeout(tick, intervalMs);
      });
  };
  let timer: NodeJS.Timeout | null = setTimeout(tick, intervalMs);
  return async () => {
    stopped = true;
    if (timer) clearTimeout(timer);
    timer = null;
    await inFlight;
  };
}
