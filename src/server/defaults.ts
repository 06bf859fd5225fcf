// The server's idea of a typical player: 60 objects of 16 B..40 KiB in weighted classes, about 145 KiB of
// state, so 10 000 players hold about 1.4 GiB in the allocator. Every class is a jemalloc size class, so
// stats.allocated grows by exactly what was asked for.

import type { ServerOptions } from './options.js';

/** The Origin simload's bots send, and the only one the gate accepts unless `server.origins` says more. */
export const BOT_ORIGIN = 'http://127.0.0.1';
export const ORIGIN_DEFAULTS: readonly string[] = [BOT_ORIGIN];

export function defaultServerOptions(): ServerOptions {
  return {
    threads: 8,
    agent: 'per-player',
    poolSize: 64,
    host: '127.0.0.1',
    port: 0,
    profile: {
      objects: 60,
      sizes: {
        kind: 'classes',
        classes: [
          { size: 16, weight: 24 },
          { size: 48, weight: 20 },
          { size: 128, weight: 16 },
          { size: 512, weight: 14 },
          { size: 2048, weight: 12 },
          { size: 8192, weight: 8 },
          { size: 16384, weight: 4 },
          { size: 40960, weight: 2 },
        ],
      },
    },
    churn: {
      tempAllocsPerMessage: 4,
      tempSizes: { kind: 'lognormal', median: 256, sigma: 1, min: 16, max: 8 * 1024 },
      reallocRate: 0.05,
      reallocStep: 1024,
    },
    logoutFreeDelayMs: 1000,
    maxFrameBytes: 64 * 1024,
    seed: 1,
  };
}

/** Gate backpressure bounds used when ServerOptions leaves them out. */
export const BACKPRESSURE_DEFAULTS = { sendHighWaterBytes: 1024 * 1024, maxInflightPerConnection: 256 } as const;

/** Multiplexed connections: logged-in channels per connection when ServerOptions leaves it out. */
export const MUX_DEFAULTS = { maxChannelsPerConnection: 4096 } as const;
/** Largest maxChannelsPerConnection accepted (a channel costs the gate about 100 bytes of JS heap). */
export const MAX_CHANNELS_PER_CONNECTION = 1_000_000;
