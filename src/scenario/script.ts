// `server.script` (a Lua agent script, relative to the scenario file) and `server.script_limits`: read the
// file and check it (load, login, messages, logout in a sandboxed VM), so a bad script is reported with its
// own file:line before anything starts.

import { readFileSync } from 'node:fs';
import { isAbsolute, relative, resolve } from 'node:path';
import type { AgentScript } from '../server/options.js';
import { checkScript } from '../server/script-check.js';
import { parseSize } from '../units.js';
import type { PathPart } from './problems.js';

type Obj = Record<string, unknown>;

export const SCRIPT_DEFAULTS = { maxInstructions: 10_000_000, maxMemoryBytes: 64 * 2 ** 20 } as const;

/** The script as errors name it: relative to the working directory when inside it, else absolute. */
function displayPath(abs: string): string {
  const rel = relative(process.cwd(), abs);
  return rel && !rel.startsWith('..') && !isAbsolute(rel) ? rel : abs;
}

export function resolveScript(
  s: Obj,
  baseDir: string,
  agent: 'per-player' | 'pool',
  problem: (path: PathPart[], message: string) => void,
): AgentScript | null {
  const limits = s.script_limits !== null && typeof s.script_limits === 'object' ? (s.script_limits as Obj) : {};
  if (typeof s.script !== 'string') {
    if (s.script_limits !== undefined) problem(['server', 'script_limits'], 'only applies with `script:` (Lua agents)');
    return null;
  }
  const abs = resolve(baseDir, s.script);
  let source: string;
  try {
    source = readFileSync(abs, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    problem(['server', 'script'], `cannot read the agent script ${abs}: ${code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a folder' : (err as Error).message}`);
    return null;
  }
  const mem = typeof limits.memory === 'number' || typeof limits.memory === 'string' ? parseSize(limits.memory) : null;
  const script: AgentScript = {
    path: displayPath(abs),
    source,
    maxInstructions: typeof limits.instructions === 'number' ? limits.instructions : SCRIPT_DEFAULTS.maxInstructions,
    maxMemoryBytes: mem ?? SCRIPT_DEFAULTS.maxMemoryBytes,
  };
  if (script.maxMemoryBytes < 1024 * 1024) {
    problem(['server', 'script_limits', 'memory'], `must be at least 1MiB (an empty VM needs about 15KiB, a player's state more), got ${script.maxMemoryBytes} bytes`);
    return null;
  }
  try {
    checkScript(script, agent);
  } catch (err) {
    problem(['server', 'script'], (err as Error).message);
    return null;
  }
  return script;
}
