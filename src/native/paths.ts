// Where native things live, relative to the package root (works from src/ and from dist/src/).
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

function findRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'native'))) return dir;
    dir = dirname(dir);
  }
  return resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
}

export const packageRoot = findRoot();
export const nativeDir = join(packageRoot, 'native');
export const buildDir = join(nativeDir, 'build');
export const srcCacheDir = join(nativeDir, 'src-cache');
export const shimSource = join(nativeDir, 'shim.c');
/** The handle table, compiled into both the shim and the agent library (and hashed into both builds' keys). */
export const handleSources = ['handles.c', 'handles.h'].map((f) => join(nativeDir, f));
/** Compiled with shim.c (and hashed into its build's key): its split files, their headers and the handle table. */
export const shimExtraSources = [
  ...['shim.h', 'shim_internal.h', 'shim_objects.c', 'shim_stats.c'].map((f) => join(nativeDir, f)),
  ...handleSources,
];
export const shimDir = join(buildDir, 'shim');
export const shimLib = join(shimDir, 'libsimload_shim.so');
export const agentSource = join(nativeDir, 'agent.c');
/**
 * Compiled with agent.c (and hashed into the build's key): the files it is split into (agent_vm.h names what
 * they share), the code cache of skynet's Lua (agent_codecache.c; agent_codecache_alloc.h is forced into skynet's
 * lauxlib.c only), the code heap of Debian's Lua (native/code_heap.c, code_heap.h) and the handle table.
 */
export const agentExtraSources = [
  ...[
    'agent_vm.h',
    'agent_alloc.c',
    'agent_sandbox.c',
    'agent_match.c',
    'agent_service_lib.c',
    'agent_packets.c',
    'agent_codecache.c',
    'agent_codecache_alloc.h',
    'code_heap.c',
    'code_heap.h',
    'shim.h',
  ].map((f) => join(nativeDir, f)),
  ...handleSources,
];
export const agentDir = join(buildDir, 'agent');
/** Lua 5.4 (Debian's source) and native/agent.c: the agent services' VMs. */
export const agentLib = join(agentDir, 'libsimload_agent.so');

export function variantDir(name: string): string {
  return join(buildDir, name);
}
/** The built library of a jemalloc variant. */
export function variantLib(name: string): string {
  return join(buildDir, name, 'lib', 'libjemalloc.so.2');
}
export function variantBuildJson(name: string): string {
  return join(buildDir, name, 'build.json');
}
