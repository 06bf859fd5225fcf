// Defaults of a scenario. Server defaults are the server's own (server/defaults.ts), so `simload serve` and
// a scenario without `server:` agree on what a typical player is.

import { defaultServerOptions } from '../server/defaults.js';
import type { ServerOptions } from '../server/options.js';

export const LOAD_DEFAULTS = { messageRate: 1, thinkTimeMs: 1000, botWorkers: 2, playersPerConnection: 1 } as const;
export const RECORD_DEFAULTS = { intervalMs: 1000 } as const;
export const OUTPUT_DEFAULTS = { dir: 'results' } as const;

export function scenarioServerDefaults(): ServerOptions {
  return structuredClone(defaultServerOptions());
}
