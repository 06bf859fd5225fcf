// Ctrl-C and SIGTERM for long commands (run, plan): the first signal aborts, so bots and servers stop and
// what was recorded is written; a second one kills the servers at once and exits 130.

import { ExitCode } from '../errors.js';
import { killAllChildren } from './children.js';

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
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    return await work(ctl.signal);
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}
