// Which agent script skynet's agents run in `simload fidelity`: --script (relative to the working folder), else
// the scenario's `server.script` as the loader resolved it. Checked up front. There is no default: without
// `server.script` simload's side runs the synthetic state model, which no skynet runs, so any script picked here
// would put two different workloads side by side.
import { existsSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { UsageError } from '../errors.js';
import type { Scenario } from '../scenario/types.js';

export function agentScript(s: Scenario, override: string | undefined): string {
  const fromScenario = s.server.script?.path;
  let path: string;
  let where: string;
  if (override) {
    path = resolve(override);
    where = '--script';
  } else if (fromScenario !== undefined) {
    path = resolve(fromScenario);
    where = `${s.file ?? s.name}: server.script`;
  } else {
    throw new UsageError(
      'ERR_AGENT_SCRIPT',
      `${s.file ?? s.name}: no agent script for skynet: the scenario has no server.script (simload's side runs the synthetic state model, ` +
        'which a skynet cannot run); set server.script (both sides run it, e.g. scenarios/agents/rpg.lua) or give --script PATH (skynet only)',
    );
  }
  if (!existsSync(path) || !statSync(path).isFile())
    throw new UsageError('ERR_AGENT_SCRIPT', `${where}: ${path}: no such file`);
  return path;
}
