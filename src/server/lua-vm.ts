// koffi bindings of native/agent.c: Lua 5.4 VMs over the variant's allocator (see that file). Loaded once per
// thread; VM handles and packet addresses are plain numbers valid in every thread of the process.
import { existsSync } from 'node:fs';
import koffi from 'koffi';
import { SimloadError } from '../errors.js';
import { agentLib, shimLib } from '../native/paths.js';

/** Return codes of native/agent.c. */
export const SLA = { ok: 0, badHandle: -1, nomem: -2, notLoaded: -4, arg: -8, script: -9 } as const;

/** Which script function sla_call runs. */
export const LuaFn = { login: 1, message: 2, logout: 3 } as const;

export interface LuaFns {
  init(shimPath: string): number;
  lastError(): string;
  vmNew(src: Buffer, len: number, chunk: string, maxInstructions: number, maxBytes: number, seed: number, libDir: string): number;
  call(vm: number, fn: number, a: number, b: number): number;
  vmBytes(vm: number): number;
  vmClose(vm: number): number;
  live(): number;
  packetNew(data: Buffer | Uint8Array, len: number): number;
  packetFree(addr: number): number;
  packets(out: Float64Array): number;
  check(src: Buffer, len: number, chunk: string, maxInstructions: number, maxBytes: number, libDir: string, out: Float64Array): number;
  codeHeapBytes(): number;
  /** skynet's per-service C structures (context, mailbox, snlua) that live VMs with a service library hold. */
  serviceBytes(): number;
}

let fns: LuaFns | null = null;

/** The bindings; `sla_init` still has to run (after the allocator shim loaded its target) before VMs or packets. */
export function loadLua(): LuaFns {
  if (fns) return fns;
  if (!existsSync(agentLib)) throw new SimloadError('ERR_NOT_BUILT', `the Lua agent library ${agentLib} is missing; run \`npm install\` (or \`simload build\`)`);
  const lib = koffi.load(agentLib);
  try {
    fns = bind(lib);
  } catch (err) {
    // A library built from an older native/agent.c (a pull without `npm install`) lacks newer functions.
    throw new SimloadError('ERR_NOT_BUILT', `the Lua agent library ${agentLib} is older than this simload (${(err as Error).message}); run \`npm install\` (or \`simload build\`) to rebuild it`);
  }
  return fns;
}

function bind(lib: ReturnType<typeof koffi.load>): LuaFns {
  return {
    init: lib.func('int sla_init(const char *shim)'),
    lastError: lib.func('const char *sla_last_error(void)'),
    vmNew: lib.func('double sla_vm_new(const uint8_t *src, uint32_t len, const char *chunk, double max_instructions, double max_bytes, double seed, const char *lib_dir)'),
    call: lib.func('double sla_call(double vm, int fn, double a, double b)'),
    vmBytes: lib.func('double sla_vm_bytes(double vm)'),
    vmClose: lib.func('int sla_vm_close(double vm)'),
    live: lib.func('double sla_live(void)'),
    packetNew: lib.func('double sla_packet_new(const uint8_t *data, uint32_t len)'),
    packetFree: lib.func('int sla_packet_free(double addr)'),
    packets: lib.func('int sla_packets(double *out)'),
    check: lib.func('int sla_check(const uint8_t *src, uint32_t len, const char *chunk, double max_instructions, double max_bytes, const char *lib_dir, double *out)'),
    codeHeapBytes: lib.func('double sla_code_heap_bytes(void)'),
    serviceBytes: lib.func('double sla_service_bytes(void)'),
  } as LuaFns;
}

/** Binds the agent library to the allocator the shim loaded in this process (Allocator.load first). */
export function attachLua(): LuaFns {
  const f = loadLua();
  const rc = f.init(shimLib);
  if (rc !== SLA.ok) throw new SimloadError('ERR_LUA_INIT', `Lua agents: ${f.lastError()}`);
  return f;
}
