// koffi bindings of native/agent.c: Lua VMs (5.4, or a skynet's own Lua) over the variant's allocator (see that file). Loaded once per
// thread; VM handles and packet addresses are plain numbers valid in every thread of the process.
import { existsSync } from 'node:fs';
import koffi from 'koffi';
import { SimloadError } from '../errors.js';
import { agentLib, shimLib } from '../native/paths.js';
import type { LuaCodeStats } from '../results/sample.js';

/** Return codes of native/agent.c. */
export const SLA = { ok: 0, badHandle: -1, nomem: -2, notLoaded: -4, arg: -8, script: -9 } as const;

/** Which script function sla_call runs. */
export const LuaFn = { login: 1, message: 2, logout: 3 } as const;

export interface LuaFns {
  init(shimPath: string): number;
  lastError(): string;
  vmNew(
    src: Buffer,
    len: number,
    chunk: string,
    maxInstructions: number,
    maxBytes: number,
    seed: number,
    libDir: string,
  ): number;
  call(vm: number, fn: number, a: number, b: number): number;
  vmBytes(vm: number): number;
  vmClose(vm: number): number;
  live(): number;
  packetNew(data: Buffer | Uint8Array, len: number): number;
  packetFree(addr: number): number;
  packets(out: Float64Array): number;
  check(
    src: Buffer,
    len: number,
    chunk: string,
    maxInstructions: number,
    maxBytes: number,
    libDir: string,
    out: Float64Array,
  ): number;
  codeHeapBytes(): number;
  /** The Lua the library was compiled with, e.g. "Lua 5.5.0". */
  luaRelease(): string;
  /** skynet's per-service C structures (context, mailbox, snlua) that live VMs with a service library hold. */
  serviceBytes(): number;
  /** 1: VMs share their prototypes through skynet's code cache (skynet's Lua); 0: each VM has its own copy. */
  codeShared(): number;
  /** Bytes the code cache's states hold in the variant's heap, once per process (0 without the cache). */
  codeCacheBytes(): number;
}

/** Bindings per agent library: the default one (Debian's Lua 5.4) or one built with a skynet's own Lua. */
const loaded = new Map<string, LuaFns>();

/**
 * The bindings of one agent library (default: Debian's Lua 5.4, native/build/agent); `sla_init` still has to run
 * (after the allocator shim loaded its target) before VMs or packets. A process uses one library: its packets
 * and VM handles are that library's.
 */
export function loadLua(libPath: string = agentLib): LuaFns {
  const cached = loaded.get(libPath);
  if (cached) return cached;
  const rebuild = libPath === agentLib ? '`npm install` (or `simload build`)' : '`npm run build:peers`';
  if (!existsSync(libPath))
    throw new SimloadError('ERR_NOT_BUILT', `the Lua agent library ${libPath} is missing; run ${rebuild}`);
  const lib = koffi.load(libPath);
  let fns: LuaFns;
  try {
    fns = bind(lib);
  } catch (err) {
    // A library built from an older native/agent.c (a pull without a rebuild) lacks newer functions.
    throw new SimloadError(
      'ERR_NOT_BUILT',
      `the Lua agent library ${libPath} is older than this simload (${(err as Error).message}); run ${rebuild} to rebuild it`,
    );
  }
  loaded.set(libPath, fns);
  return fns;
}

function bind(lib: ReturnType<typeof koffi.load>): LuaFns {
  return {
    init: lib.func('int sla_init(const char *shim)'),
    lastError: lib.func('const char *sla_last_error(void)'),
    vmNew: lib.func(
      'double sla_vm_new(const uint8_t *src, uint32_t len, const char *chunk, double max_instructions, double max_bytes, double seed, const char *lib_dir)',
    ),
    call: lib.func('double sla_call(double vm, int fn, double a, double b)'),
    vmBytes: lib.func('double sla_vm_bytes(double vm)'),
    vmClose: lib.func('int sla_vm_close(double vm)'),
    live: lib.func('double sla_live(void)'),
    packetNew: lib.func('double sla_packet_new(const uint8_t *data, uint32_t len)'),
    packetFree: lib.func('int sla_packet_free(double addr)'),
    packets: lib.func('int sla_packets(double *out)'),
    check: lib.func(
      'int sla_check(const uint8_t *src, uint32_t len, const char *chunk, double max_instructions, double max_bytes, const char *lib_dir, double *out)',
    ),
    codeHeapBytes: lib.func('double sla_code_heap_bytes(void)'),
    luaRelease: lib.func('const char *sla_lua_release(void)'),
    serviceBytes: lib.func('double sla_service_bytes(void)'),
    codeShared: lib.func('int sla_code_shared(void)'),
    codeCacheBytes: lib.func('double sla_code_cache_bytes(void)'),
  } as LuaFns;
}

/** Binds the agent library to the allocator the shim loaded in this process (Allocator.load first). */
export function attachLua(libPath?: string): LuaFns {
  const f = loadLua(libPath);
  const rc = f.init(shimLib);
  if (rc !== SLA.ok) throw new SimloadError('ERR_LUA_INIT', `Lua agents: ${f.lastError()}`);
  return f;
}

/** Where this process's agent VMs hold their function prototypes now (the library is process-wide). */
export function luaCode(f: LuaFns): LuaCodeStats {
  return { model: f.codeShared() ? 'shared' : 'per-vm', cacheBytes: f.codeCacheBytes(), heapBytes: f.codeHeapBytes() };
}
