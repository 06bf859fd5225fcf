// The check of a Lua agent script before anything runs (scenario validation and server start): load it in
// a sandboxed VM over libc's allocator, run login(1), message(1, 1), message(2, 1) and logout(1), close it.
// A failure is a UsageError whose message starts with the script's file:line, as Lua reports it.

import { UsageError } from '../errors.js';
import { loadLua } from './lua-vm.js';
import type { AgentScript } from './options.js';

export interface ScriptCheck {
  /** The VM's bytes after login(1): what one per-player agent holds (libc's accounting of Lua's requests). */
  loginBytes: number;
  /** After logout(1); null when the script defines no logout. */
  logoutBytes: number | null;
  /** An empty VM: the sandbox plus the service library when there is one (the floor of every agent). */
  emptyBytes: number;
  /** The service library's prototypes in the empty VM, kept in the code heap (not in emptyBytes); 0 without one. */
  libCodeBytes: number;
  /** The bare sandbox VM, without the service library. */
  sandboxBytes: number;
}

export function checkScript(s: AgentScript, agent: 'per-player' | 'pool'): ScriptCheck {
  const f = loadLua(s.luaLib);
  const src = Buffer.from(s.source, 'utf8');
  const out = new Float64Array(5);
  const rc = f.check(src, src.length, s.path, s.maxInstructions, s.maxMemoryBytes, s.serviceLib ?? '', out);
  if (rc !== 0) throw new UsageError('ERR_SCRIPT', f.lastError());
  const logoutBytes = out[1]! < 0 ? null : out[1]!;
  if (agent === 'pool' && logoutBytes === null) {
    throw new UsageError(
      'ERR_SCRIPT',
      `${s.path}: pool agents keep their VM across players, so the script must define logout(player_id) to drop a player's data`,
    );
  }
  return { loginBytes: out[0]!, logoutBytes, emptyBytes: out[2]!, libCodeBytes: out[3]!, sandboxBytes: out[4]! };
}
