// Compiles native/agent.c with Lua 5.4 into native/build/agent/libsimload_agent.so. Lua comes from Debian's
// `lua5.4` source package (fetched once through the private apt configuration, cached in native/src-cache/)
// and is compiled statically with -fPIC into the library, so the VMs are Debian's Lua whatever the machine
// has installed. If the source package cannot be fetched, Debian's liblua5.4-dev (headers + liblua5.4.so)
// is used instead when it is installed. Rebuilt only when an input changes. `buildSkynetAgent` compiles the
// same agent.c with a skynet build's own Lua instead (`npm run build:peers`).
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { SimloadError } from '../errors.js';
import { fetchDebianSource } from './apt.js';
import { run } from './exec.js';
import { agentDir, agentExtraSources, agentLib, agentSource, nativeDir, srcCacheDir } from './paths.js';

const CFLAGS = [
  '-O2',
  '-g',
  '-Wall',
  '-Wextra',
  '-Wno-format-truncation',
  '-fPIC',
  '-shared',
  '-fvisibility=hidden',
  '-DLUA_USE_LINUX',
];
const LIBS = ['-lm', '-ldl', '-lpthread'];
const SYSTEM_INCLUDE = '/usr/include/lua5.4';
const TARBALL = /^lua5\.4_.*\.orig\.tar\.(gz|bz2|xz)$/;

type LuaSource = { kind: 'tarball'; path: string; hash: string } | { kind: 'system'; hash: string };

function cachedTarball(): string | null {
  if (!existsSync(srcCacheDir)) return null;
  const files = readdirSync(srcCacheDir)
    .filter((f) => TARBALL.test(f))
    .sort();
  return files.length ? join(srcCacheDir, files[files.length - 1]!) : null;
}

async function luaSource(log: (s: string) => void): Promise<LuaSource> {
  let tarball = cachedTarball();
  let why = '';
  if (!tarball) {
    try {
      tarball = await fetchDebianSource(srcCacheDir, log, 'lua5.4', 'ERR_LUA_SOURCE');
    } catch (err) {
      why = (err as Error).message.split('\n')[0]!;
    }
  }
  if (tarball)
    return { kind: 'tarball', path: tarball, hash: createHash('sha256').update(readFileSync(tarball)).digest('hex') };
  if (existsSync(join(SYSTEM_INCLUDE, 'lua.h'))) {
    log(`agent: Debian's lua5.4 source package is not reachable (${why}); using the installed liblua5.4-dev`);
    return {
      kind: 'system',
      hash: createHash('sha256')
        .update(readFileSync(join(SYSTEM_INCLUDE, 'lua.h')))
        .digest('hex'),
    };
  }
  throw new SimloadError(
    'ERR_LUA_SOURCE',
    `no Lua 5.4 for the agent library: Debian's \`lua5.4\` source package could not be fetched through apt (${why}) and liblua5.4-dev is not installed (apt-get install liblua5.4-dev)`,
  );
}

/** The build's key: agent.c and what it is compiled with, and which Lua (a hash of its sources). */
function key(kind: string, luaHash: string): string {
  const h = createHash('sha256').update(readFileSync(agentSource));
  for (const f of agentExtraSources) h.update(readFileSync(f));
  return h
    .update(kind)
    .update(luaHash)
    .update(JSON.stringify([CFLAGS, LIBS]))
    .digest('hex')
    .slice(0, 16);
}

function recordedKey(dir: string): string | null {
  try {
    return (JSON.parse(readFileSync(join(dir, 'build.json'), 'utf8')) as { key: string }).key;
  } catch {
    return null;
  }
}

/** Lua's core and library sources in a folder (not the interpreters, tests or the one-file amalgamation). */
function luaFiles(dir: string): string[] {
  return readdirSync(dir)
    .filter((f) => /^l.*\.c$/.test(f) && !['lua.c', 'luac.c', 'ltests.c', 'onelua.c'].includes(f))
    .sort()
    .map((f) => join(dir, f));
}

/** Compiles agent.c with the given Lua into DIR/libsimload_agent.so (atomically) and records the key. */
async function compile(
  dir: string,
  k: string,
  luaArgs: string[],
  luaName: string,
  log: (s: string) => void,
): Promise<string> {
  mkdirSync(dir, { recursive: true });
  const lib = join(dir, 'libsimload_agent.so');
  const cc = process.env['CC'] || 'cc';
  const tmp = lib + '.tmp';
  const cSources = agentExtraSources.filter((f) => f.endsWith('.c'));
  log(`agent: ${cc} native/agent.c with Lua from ${luaName}`);
  await run(cc, [...CFLAGS, `-I${nativeDir}`, '-o', tmp, agentSource, ...cSources, ...luaArgs, ...LIBS], {
    log: join(dir, 'build.log'),
    code: 'ERR_BUILD',
  });
  renameSync(tmp, lib);
  writeFileSync(
    join(dir, 'build.json'),
    JSON.stringify({ key: k, cc, cflags: CFLAGS, lua: luaName, builtAt: new Date().toISOString() }, null, 2) + '\n',
  );
  return lib;
}

export async function buildAgent(log: (s: string) => void): Promise<void> {
  const src = await luaSource(log);
  const k = key(src.kind, src.hash);
  if (recordedKey(agentDir) === k && existsSync(agentLib)) return;
  if (src.kind === 'tarball') {
    const tree = join(agentDir, 'lua-src');
    rmSync(tree, { recursive: true, force: true });
    mkdirSync(tree, { recursive: true });
    await run('tar', ['-xf', src.path, '-C', tree, '--strip-components=1'], {
      log: join(agentDir, 'build.log'),
      code: 'ERR_BUILD',
    });
    const dir = join(tree, 'src');
    await compile(agentDir, k, [`-I${dir}`, ...luaFiles(dir)], src.path, log);
  } else {
    await compile(agentDir, k, [`-I${SYSTEM_INCLUDE}`, '-llua5.4'], 'liblua5.4-dev', log);
  }
}

/**
 * The agent library compiled with a skynet tree's own Lua (`3rd/lua`, e.g. Lua 5.5.0 with skynet's changes to
 * strings and the code cache), so that simload's VMs allocate the same objects, of the same sizes, as that
 * skynet's snlua services (scenario `server.lua: skynet`), and share their prototypes through skynet's code
 * cache (native/agent_codecache.c). It lives beside the skynet peer build it comes from.
 */
export function skynetAgentDir(skynetRoot: string): string {
  return join(dirname(skynetRoot), 'agent');
}

function skynetLuaHash(skynetRoot: string): string {
  const h = createHash('sha256');
  const dir = join(skynetRoot, '3rd', 'lua');
  for (const f of readdirSync(dir)
    .filter((f) => /\.[ch]$/.test(f))
    .sort())
    h.update(f).update(readFileSync(join(dir, f)));
  return h.digest('hex');
}

/** The skynet-Lua agent library of a skynet build: its path, and whether it was built from today's agent.c. */
export function skynetAgentLib(skynetRoot: string): { lib: string; current: boolean } {
  const dir = skynetAgentDir(skynetRoot);
  const lib = join(dir, 'libsimload_agent.so');
  return { lib, current: existsSync(lib) && recordedKey(dir) === key('skynet', skynetLuaHash(skynetRoot)) };
}

/** Builds (or finds current) the agent library with the Lua of the skynet build at skynetRoot. */
export async function buildSkynetAgent(skynetRoot: string, log: (s: string) => void): Promise<string> {
  const { lib, current } = skynetAgentLib(skynetRoot);
  if (current) return lib;
  const dir = join(skynetRoot, '3rd', 'lua');
  const out = skynetAgentDir(skynetRoot);
  mkdirSync(out, { recursive: true });
  // skynet's Lua includes skynet-src/atomic.h and spinlock.h (its string ids and code cache); built as its makefile does
  const inc = ['-std=gnu99', `-I${dir}`, `-I${join(skynetRoot, 'skynet-src')}`];
  // lauxlib.c alone with the code cache's allocator forced in: its realloc/free are skynet's hooked ones there
  const lauxlib = join(out, 'lauxlib.o');
  const cc = process.env['CC'] || 'cc';
  const objFlags = CFLAGS.filter((f) => f !== '-shared');
  await run(
    cc,
    [
      ...objFlags,
      ...inc,
      '-include',
      join(nativeDir, 'agent_codecache_alloc.h'),
      '-c',
      '-o',
      lauxlib,
      join(dir, 'lauxlib.c'),
    ],
    {
      log: join(out, 'build.log'),
      code: 'ERR_BUILD',
    },
  );
  const args = ['-DSLA_SKYNET_CODECACHE', ...inc, ...luaFiles(dir).filter((f) => !f.endsWith('/lauxlib.c')), lauxlib];
  return compile(out, key('skynet', skynetLuaHash(skynetRoot)), args, dir, log);
}
