// Ctrl-C, SIGTERM and SIGHUP (the terminal or the ssh session went away) for long commands (run, plan, watch):
// the first signal aborts, so bots and servers stop and what was recorded is written and reported; a second one
// kills the servers at once and exits 130.

import { ExitCode, SimloadError } from '../errors.js';
import { killAllChildren } from './children.js';

/** The signals that interrupt a command as Ctrl-C does. */
export const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

export async function withInterrupt<T>(work: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const ctl = new AbortController();
  const onSignal = (sig: NodeJS.Signals) => {
    if (ctl.signal.aborted) {
      process.stderr.write(`\nsimload: ${sig} again, killing the servers now\n`);
      killAllChildren();
      process.exit(ExitCode.interrupted);
    }
    ctl.abort(sig);
  };
  for (const sig of SIGNALS) process.on(sig, onSignal);
  try {
    return await work(ctl.signal);
  } finally {
    for (const sig of SIGNALS) process.off(sig, onSignal);
  }
}

/** What a command stopped by the signal before it recorded anything ends with: exit 130, `why` said. */
export function interruptedError(signal: AbortSignal, why: string): SimloadError {
  return new SimloadError('ERR_INTERRUPTED', `interrupted (${String(signal.reason)}) ${why}`, ExitCode.interrupted);
}
