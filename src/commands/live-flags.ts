// `--metrics [host:]port` (run, serve --record, watch) and `--live [host:]port` (run, watch): the flags, and
// the outputs they ask for, started before the recording so a port in use fails at once (exit 2).

import type { Argv } from 'yargs';
import { parseListenAddress, type ListenAddress } from '../live/address.js';
import type { LiveOutputs } from '../live/outputs.js';

export function metricsOption(y: Argv): Argv {
  return y.option('metrics', {
    type: 'string',
    describe:
      'serve the samples at http://HOST:PORT/metrics while it runs, for Prometheus ([host:]port, host 127.0.0.1 unless written out; docs/live.md)',
  });
}

export function liveOption(y: Argv): Argv {
  return y.option('live', {
    type: 'string',
    describe:
      'a live page of the charts at http://HOST:PORT/ while it runs, then the report ([host:]port, host 127.0.0.1 unless written out)',
  });
}

function address(flag: string, v: unknown): ListenAddress | null {
  if (v === undefined) return null;
  return parseListenAddress(flag, typeof v === 'string' ? v : String(v));
}

/** The live outputs the flags ask for, listening; null when none. Their URLs go to `say`. */
export async function startLiveOutputs(
  argv: Record<string, unknown>,
  say: (line: string) => void,
): Promise<LiveOutputs | null> {
  const metrics = address('metrics', argv.metrics);
  const page = address('live', argv.live);
  if (!metrics && !page) return null;
  const { LiveOutputs } = await import('../live/outputs.js');
  const live = LiveOutputs.fromFlags({ metrics, page });
  if (!live) return null;
  for (const line of await live.start()) say(line);
  for (const [flag, a] of [
    ['metrics', metrics],
    ['live', page],
  ] as const) {
    // Written out on the command line, so allowed; said, because it is reachable from other hosts.
    if (a?.exposed) say(`--${flag} ${a.host}: listening beyond loopback, anyone who reaches this port can read it`);
  }
  return live;
}
