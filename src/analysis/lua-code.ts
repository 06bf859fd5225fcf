// Where a run's Lua agent VMs held their function prototypes, and what that cost per VM: shared once per process
// through skynet's code cache (skynet's Lua), or a copy in every VM with a service library (Debian's Lua: the code
// heap, in Rss but outside the allocator). Pure: from the samples the recorder took.

import type { Sample } from '../results/sample.js';

export interface LuaCodeSummary {
  model: 'shared' | 'per-vm';
  /** Live VMs at the sample with the most, where the figures below are read. */
  vms: number;
  /** The code cache's states in the variant's heap (shared), bytes. */
  cacheBytes: number;
  /** The code heap (per-vm), bytes, all VMs. */
  heapBytes: number;
  /** Prototype bytes per live VM: the heap's share each (per-vm), the cache spread over the VMs (shared). */
  perVm: number;
}

export function luaCodeSummary(samples: readonly Sample[]): LuaCodeSummary | null {
  let top: Sample | null = null;
  for (const s of samples) if (s.lua && (!top || s.lua.vms > top.lua!.vms)) top = s;
  if (!top?.lua) return null;
  const { vms, code } = top.lua;
  const held = code.model === 'shared' ? code.cacheBytes : code.heapBytes;
  return {
    model: code.model,
    vms,
    cacheBytes: code.cacheBytes,
    heapBytes: code.heapBytes,
    perVm: vms > 0 ? held / vms : 0,
  };
}
