// Which agent script a fidelity run uses: --script (relative to the working folder), else the scenario's
// `server.script` as the loader resolved it. Checked up front.
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
    throw new UsageError('ERR_AGENT_SCRIPT', `${s.file ?? s.name}: no agent script for the skynet driver: give --script PATH or server.script in the scenario`);
  }
  if (!existsSync(path) || !statSync(path).isFile()) throw new UsageError('ERR_AGENT_SCRIPT', `${where}: ${path}: no such file`);
  return path;
}
