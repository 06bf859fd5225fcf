// Compiles native/agent.c with Lua 5.4 into native/build/agent/libsimload_agent.so. Lua comes from Debian's
// `lua5.4` source package (fetched once through the private apt configuration, cached in native/src-cache/)
// and is compiled statically with -fPIC into the library, so the VMs are Debian's Lua whatever the machine
// has installed. If the source package cannot be fetched, Debian's liblua5.4-dev (headers + liblua5.4.so)
// is used instead when it is installed. Rebuilt only when an input changes.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { SimloadError } from '../errors.js';
import { fetchDebianSource } from './apt.js';
import { run } from './exec.js';
import { agentDir, agentExtraSources, agentLib, agentSource, nativeDir, srcCacheDir } from './paths.js';

const CFLAGS = ['-O2', '-g', '-Wall', '-Wextra', '-Wno-format-truncation', '-fPIC', '-shared', '-fvisibility=hidden', '-DLUA_USE_LINUX'];
const LIBS = ['-lm', '-ldl', '-lpthread'];
const SYSTEM_INCLUDE = '/usr/include/lua5.4';
const TARBALL = /^lua5\.4_.*\.orig\.tar\.(gz|bz2|xz)$/;

type LuaSource = { kind: 'tarball'; path: string; hash: string } | { kind: 'system'; hash: string };

function cachedTarball(): string | null {
  if (!existsSync(srcCacheDir)) return null;
  const files = readdirSync(srcCacheDir).filter((f) => TARBALL.test(f)).sort();
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
  if (tarball) return { kind: 'tarball', path: tarball, hash: createHash('sha256').update(readFileSync(tarball)).digest('hex') };
  if (existsSync(join(SYSTEM_INCLUDE, 'lua.h'))) {
    log(`agent: Debian's lua5.4 source package is not reachable (${why}); using the installed liblua5.4-dev`);
    return { kind: 'system', hash: createHash('sha256').update(readFileSync(join(SYSTEM_INCLUDE, 'lua.h'))).digest('hex') };
  }
  throw new SimloadError(
    'ERR_LUA_SOURCE',
    `no Lua 5.4 for the agent library: Debian's \`lua5.4\` source package could not be fetched through apt (${why}) and liblua5.4-dev is not installed (apt-get install liblua5.4-dev)`,
  );
}

function key(src: LuaSource): string {
  const h = createHash('sha256').update(readFileSync(agentSource));
  for (const f of agentExtraSources) h.update(readFileSync(f));
  return h.update(src.kind).update(src.hash).update(JSON.stringify([CFLAGS, LIBS])).digest('hex').slice(0, 16);
}

function recordedKey(): string | null {
  try {
    return (JSON.parse(readFileSync(join(agentDir, 'build.json'), 'utf8')) as { key: string }).key;
  } catch {
    return null;
  }
}

export async function buildAgent(log: (s: string) => void): Promise<void> {
  const src = await luaSource(log);
  const k = key(src);
  if (recordedKey() === k && existsSync(agentLib)) return;
  mkdirSync(agentDir, { recursive: true });
  const cc = process.env['CC'] || 'cc';
  const buildLog = join(agentDir, 'build.log');
  const tmp = agentLib + '.tmp';
  const cSources = agentExtraSources.filter((f) => f.endsWith('.c'));
  let args: string[];
  let lua: string;
  if (src.kind === 'tarball') {
    const tree = join(agentDir, 'lua-src');
    rmSync(tree, { recursive: true, force: true });
    mkdirSync(tree, { recursive: true });
    await run('tar', ['-xf', src.path, '-C', tree, '--strip-components=1'], { log: buildLog, code: 'ERR_BUILD' });
    const dir = join(tree, 'src');
    const files = readdirSync(dir)
      .filter((f) => /^l.*\.c$/.test(f) && f !== 'lua.c' && f !== 'luac.c')
      .sort()
      .map((f) => join(dir, f));
    args = [...CFLAGS, `-I${dir}`, `-I${nativeDir}`, '-o', tmp, agentSource, ...cSources, ...files, ...LIBS];
    lua = src.path;
  } else {
    args = [...CFLAGS, `-I${SYSTEM_INCLUDE}`, `-I${nativeDir}`, '-o', tmp, agentSource, ...cSources, '-llua5.4', ...LIBS];
    lua = 'liblua5.4-dev';
  }
  log(`agent: ${cc} native/agent.c with Lua from ${lua}`);
  await run(cc, args, { log: buildLog, code: 'ERR_BUILD' });
  renameSync(tmp, agentLib);
  writeFileSync(join(agentDir, 'build.json'), JSON.stringify({ key: k, cc, cflags: CFLAGS, lua, builtAt: new Date().toISOString() }, null, 2) + '\n');
}
