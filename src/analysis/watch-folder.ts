// Which folders `simload watch` wrote. A watched process is not simload's server and was asked for no load, so
// its folder is not judged for load (validity.ts) and its verdict has no validity (verdict.ts).
import type { Scenario } from '../scenario/types.js';

/**
 * A folder `simload watch` wrote: its scenario.json has no server options (watch/scenario.ts: a watched
 * process is not simload's server), where every run and recorded serve has the server's full options.
 */
export function isWatchFolder(scenario: Pick<Scenario, 'server'> | null): boolean {
  return (
    scenario !== null &&
    typeof scenario.server === 'object' &&
    scenario.server !== null &&
    Object.keys(scenario.server).length === 0
  );
}
