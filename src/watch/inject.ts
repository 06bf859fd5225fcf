// `--skynet-inject`: reads mallctls the console's `jmem` does not show (dirty and muzzy pages, metadata, decay
// settings) by running a few lines of Lua inside the server through the console's `inject` command. That is
// code execution in the watched server; it is opt-in, read-only (it calls only skynet.memory.jestat, which
// refreshes jemalloc's `epoch`, and skynet.memory.mallctl, which reads) and runs in skynet's `.launcher`
// service. The console's `inject` reads the Lua from a file on the server's machine: simload writes it once,
// mode 0644, in a fresh temporary folder, and removes it when the watch ends.

import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

/** The mallctls read; values are integers (pages for pdirty/pmuzzy, bytes for stats.*, ms for decay). */
export const INJECT_MALLCTLS = [
  'arenas.page',
  'stats.arenas.4096.pdirty',
  'stats.arenas.4096.pmuzzy',
  'stats.metadata',
  'opt.dirty_decay_ms',
  'opt.muzzy_decay_ms',
  'arenas.dirty_decay_ms',
  'arenas.muzzy_decay_ms',
  'opt.narenas',
] as const;

export const INJECT_SERVICE = '.launcher';

/** Read per arena (`stats.arenas.<i>.<field>`): the watch's stuck-arena report (arena-decay.ts) needs them. */
export const INJECT_ARENA_FIELDS = [
  'pdirty',
  'pmuzzy',
  'dirty_npurge',
  'dirty_nmadvise',
  'dirty_purged',
  'muzzy_npurge',
  'muzzy_nmadvise',
  'muzzy_purged',
] as const;

/**
 * Printed per arena as `stats.arenas.<i>.decay_ticks`, not a mallctl: the sum of the counters of the operations
 * that advance the arena's decay in jemalloc 5.0.x (ArenaDecay.decayTicks).
 */
export const INJECT_TICKS_FIELD = 'decay_ticks';

// opt.narenas is 4 bytes and skynet's mallctl reads 8: jemalloc copies the low 32 bits and returns EINVAL, which
// skynet ignores (arenas.nbins likewise). Indexes at or above it are not arenas (5.0 answers
// stats.arenas.<narenas> with the merged totals); an arena that maps nothing is not initialised.
const ARENA_LOOP = [
  'local narenas = memory.mallctl("opt.narenas") & 0xffffffff',
  'local nbins = memory.mallctl("arenas.nbins") & 0xffffffff',
  'for i = 0, narenas - 1 do',
  '  local p = "stats.arenas." .. i .. "."',
  '  if memory.mallctl(p .. "mapped") > 0 then',
  `    for _, f in ipairs { ${INJECT_ARENA_FIELDS.map((f) => JSON.stringify(f)).join(', ')} } do print(p .. f, memory.mallctl(p .. f)) end`,
  '    local ticks = memory.mallctl(p .. "small.ndalloc") + memory.mallctl(p .. "large.nmalloc") + memory.mallctl(p .. "large.ndalloc")',
  '    for j = 0, nbins - 1 do ticks = ticks + memory.mallctl(p .. "bins." .. j .. ".nfills") end',
  `    print(p .. "${INJECT_TICKS_FIELD}", ticks)`,
  '  end',
  'end',
];

export function injectSource(): string {
  return [
    '-- simload watch --skynet-inject: reads jemalloc counters; changes nothing',
    'local memory = require "skynet.memory"',
    'memory.jestat() -- writes `epoch`, so the stats below are fresh',
    ...INJECT_MALLCTLS.map((n) => `print(${JSON.stringify(n)}, memory.mallctl(${JSON.stringify(n)}))`),
    ...ARENA_LOOP,
    '',
  ].join('\n');
}

/** Writes the Lua file for `inject`; returns its path. */
export function writeInjectFile(): string {
  const dir = mkdtempSync(join(tmpdir(), 'simload-inject-'));
  chmodSync(dir, 0o755); // the server may run as another user than simload
  const file = join(dir, 'mallctl.lua');
  writeFileSync(file, injectSource(), { mode: 0o644 });
  return file;
}

export function removeInjectFile(file: string): void {
  rmSync(dirname(file), { recursive: true, force: true });
}

export function injectCommand(file: string): string {
  return `inject ${INJECT_SERVICE} ${file}`;
}
