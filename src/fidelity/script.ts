// Which agent script a fidelity run uses: --script (relative to the working folder), else the scenario's
// `server.script` (relative to the scenario file, once simload's Lua agents land, issue 9). Checked up front.
import { existsSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { UsageError } from '../errors.js';
import type { Scenario } from '../scenario/types.js';

export function agentScript(s: Scenario, override: string | undefined): string {
  // A loaded scenario holds the script resolved (an AgentScript: its path relative to the working folder).
  const raw = (s.server as { script?: unknown }).script;
  const resolved = raw !== null && typeof raw === 'object' && typeof (raw as { path?: unknown }).path === 'string' ? (raw as { path: string }).path : null;
  const fromScenario = raw;
  let path: string;
  let where: string;
  if (override) {
    path = resolve(override);
    where = '--script';
  } else if (resolved !== null) {
    path = resolve(resolved);
    where = `${s.file ?? s.name}: server.script`;
  } else if (typeof fromScenario === 'string') {
    path = resolve(s.file ? dirname(s.file) : '.', fromScenario);
    where = `${s.file ?? s.name}: server.script`;
  } else {
    throw new UsageError('ERR_AGENT_SCRIPT', `${s.file ?? s.name}: no agent script for the skynet driver: give --script PATH or server.script in the scenario`);
  }
  if (!existsSync(path) || !statSync(path).isFile()) throw new UsageError('ERR_AGENT_SCRIPT', `${where}: ${path}: no such file`);
  return path;
}
