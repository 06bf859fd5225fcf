// Reads the answers of skynet's debug console into numbers. Pure.
//   jmem: `stats.allocated\t  123456789    117.74 Mb` (`%11d  %8.2f Mb`), one line per stat
//   mem:  `:0000000b\t2054.23 Kb (snlua agent 3)`, one line per Lua service; TIMEOUT/ERROR for one that
//         did not answer
//   list: `:0000000b\tsnlua agent 3`, one line per service the launcher started and has not seen exit
//   cmem: `:0000000b\t123456`, one line per handle malloc_hook.c has ever charged (exited ones too: its table
//         is never cleared), bytes skynet_malloc'd and not freed; then `block\tN` (blocks not freed) and
//         `total\tN` (bytes, every handle); lines sorted as strings, so the handles come first

/** What `jmem` prints: jemalloc's stats after an `epoch` refresh, bytes. */
export interface Jmem {
  allocated: number;
  active: number;
  resident: number;
  mapped: number;
  retained: number;
}

export interface ServiceMemory {
  address: string;
  /** The launch command, e.g. `snlua agent`. */
  name: string;
  /** Lua memory of the service's VM, bytes. */
  bytes: number;
}

export interface LuaMemory {
  /** Sum over the services that answered, bytes. */
  total: number;
  services: ServiceMemory[];
  /** Services that did not answer in time or failed (`TIMEOUT`, `ERROR`). */
  unanswered: number;
}

const JMEM_KEYS: Record<string, keyof Jmem> = {
  'stats.allocated': 'allocated',
  'stats.active': 'active',
  'stats.resident': 'resident',
  'stats.mapped': 'mapped',
  'stats.retained': 'retained',
};

/** Null when a stat is missing: the answer is not a jmem answer (or not all of it). */
export function parseJmem(lines: string[]): Jmem | null {
  const out: Partial<Jmem> = {};
  for (const line of lines) {
    const m = /^(stats\.\w+)\s+(-?\d+)\s+-?[\d.]+ Mb\s*$/.exec(line);
    const key = m ? JMEM_KEYS[m[1]!] : undefined;
    if (key) out[key] = Number(m![2]);
  }
  return Object.values(JMEM_KEYS).every((k) => typeof out[k] === 'number') ? (out as Jmem) : null;
}

export function parseMem(lines: string[]): LuaMemory {
  const services: ServiceMemory[] = [];
  let unanswered = 0;
  for (const line of lines) {
    const m = /^(:[0-9a-fA-F]+)\s+(.*)$/.exec(line);
    if (!m) continue;
    const kb = /^(-?[\d.]+) Kb \((.*)\)$/.exec(m[2]!);
    if (kb) services.push({ address: m[1]!, name: kb[2]!, bytes: Math.round(Number(kb[1]) * 1024) });
    else unanswered++;
  }
  services.sort((a, b) => b.bytes - a.bytes);
  return { total: services.reduce((a, s) => a + s.bytes, 0), services, unanswered };
}

/** `name value` lines printed by the injected Lua (inject.ts), as integers. */
export function parseMallctlLines(lines: string[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const line of lines) {
    const m = /^([\w.]+)\s+(-?\d+)$/.exec(line.trim());
    if (m) out[m[1]!] = Number(m[2]);
  }
  return out;
}

/** `list`: address -> the launch command (`snlua agent 3`). */
export function parseList(lines: string[]): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of lines) {
    const m = /^(:[0-9a-fA-F]+)\t(.*)$/.exec(line);
    if (m) out.set(m[1]!, m[2]!);
  }
  return out;
}

/** What `cmem` prints: C memory (skynet_malloc's accounting) per handle, bytes. */
export interface Cmem {
  handles: Array<{ address: string; bytes: number }>;
  /** skynet's `total` line (bytes over every handle); null when absent. */
  total: number | null;
  /** skynet's `block` line (blocks not freed); null when absent. */
  blocks: number | null;
}

/** Null when the answer has neither handle lines nor a total: not a cmem answer. */
export function parseCmem(lines: string[]): Cmem | null {
  const handles: Cmem['handles'] = [];
  let total: number | null = null;
  let blocks: number | null = null;
  for (const line of lines) {
    const m = /^(:[0-9a-fA-F]+|total|block)\t(-?\d+)$/.exec(line);
    if (!m) continue;
    if (m[1] === 'total') total = Number(m[2]);
    else if (m[1] === 'block') blocks = Number(m[2]);
    else handles.push({ address: m[1]!, bytes: Number(m[2]) });
  }
  return handles.length > 0 || total !== null ? { handles, total, blocks } : null;
}
