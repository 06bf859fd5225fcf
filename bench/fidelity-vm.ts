// `npm run fidelity:vm`: what one agent VM holds, in a real skynet and in simload, side by side
// (docs/fidelity.md, "What one agent VM holds"). skynet side: native/skynet/simload_vmsize.lua in the cached
// peer build (madv-free recipe), with its code cache on (as deployed) and off (prototypes per VM). simload side:
// the script check's VMs (libc's allocator) without and with `service_lib` (skynet's lualib of the same build).
// Flags: --n N (services per kind, default 500).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { requirePeerSources } from '../src/native/peers.js';
import { findSkynetBuild } from '../src/native/skynet-build.js';
import { writeSkynetConfig } from '../src/native/skynet-config.js';
import { DRIVER_DIR } from '../src/fidelity/skynet-driver.js';
import { skynetAgentLib } from '../src/native/agent-build.js';
import { attachLua, loadLua, type LuaFns } from '../src/server/lua-vm.js';
import { checkScript } from '../src/server/script-check.js';
import { Allocator } from '../src/alloc/allocator.js';

const i = process.argv.indexOf('--n');
const N = i >= 0 ? Number(process.argv[i + 1]) : 500;
const src = requirePeerSources();
const build = findSkynetBuild({ skynetSrc: src.skynet, jemallocSrc: src.jemalloc, recipe: 'madv-free' });
if (!build) {
  process.stderr.write('fidelity:vm: no skynet peer build; run `npm run build:peers`\n');
  process.exit(3);
}
const tmp = mkdtempSync(join(tmpdir(), 'simload-vmsize-'));
const empty = join(tmp, 'empty.lua');
writeFileSync(empty, 'function login() end\nfunction message() end\n');
const off = join(tmp, 'cache-off.lua');
writeFileSync(off, 'require("skynet.codecache").mode("OFF")\n');

type Row = { alloc: number; c0: number; c1: number; c2: number };
function skynet(cacheOff: boolean): Record<string, Row> {
  const out = join(tmp, `bare-${cacheOff ? 'off' : 'on'}.txt`);
  const config = writeSkynetConfig(join(tmp, 'config'), {
    root: build!.root,
    start: 'simload_vmsize',
    serviceDirs: [DRIVER_DIR],
    env: {
      simload_vmsize_n: N,
      simload_vmsize_script: empty,
      simload_vmsize_out: out,
      ...(cacheOff ? { preload: off } : {}),
    },
  });
  const r = spawnSync(build!.binary, [config], {
    cwd: build!.root,
    encoding: 'utf8',
    timeout: 300_000,
    env: { ...process.env, JE_MALLOC_CONF: '' },
  });
  const rows: Record<string, Row> = {};
  for (const m of r.stdout.matchAll(/^VMSIZE kind=(\w+) n=\d+ alloc=(\S+) c0=(\S+) c1=(\S+) c2=(\S+)$/gm)) {
    rows[m[1]!] = { alloc: Number(m[2]), c0: Number(m[3]), c1: Number(m[4]), c2: Number(m[5]) };
  }
  if (Object.keys(rows).length !== 3) throw new Error(`skynet vmsize run failed:\n${r.stdout}\n${r.stderr}`);
  return rows;
}

try {
  const on = skynet(false);
  const offRows = skynet(true);
  const script = {
    path: empty,
    source: 'function login() end\nfunction message() end\n',
    maxInstructions: 10_000_000,
    maxMemoryBytes: 64 * 2 ** 20,
  };
  const bare = checkScript(script, 'per-player');
  const lib = checkScript({ ...script, serviceLib: join(build.root, 'lualib') }, 'per-player');
  // the same VMs on skynet's own Lua (scenario `server.lua: skynet`), when build:peers made that library
  const sky = skynetAgentLib(build.root);
  const skyLib = sky.current ? { ...script, serviceLib: join(build.root, 'lualib'), luaLib: sky.lib } : null;
  const skyBare = skyLib ? checkScript({ ...script, luaLib: sky.lib }, 'per-player') : null;
  const skyWith = skyLib ? checkScript(skyLib, 'per-player') : null;
  const release = (lib?: string) => loadLua(lib).luaRelease();
  const kib = (x: number) => `${x.toFixed(1)} KiB`;
  // simload's agent VMs over jemalloc (the madv-free build, in this process): what each adds to `allocated`,
  // the counterpart of skynet's "jemalloc allocated per service" (VMs started, no login, as skynet's agent row).
  const alloc = Allocator.load({ name: 'madv-free', build: 'madv-free' });
  const perVm = (libDir: string, lua: LuaFns = attachLua()) => {
    const b = Buffer.from(script.source);
    lua.vmClose(lua.vmNew(b, b.length, empty, 1e7, 64 * 2 ** 20, 0, libDir)); // one first: one-time costs
    alloc.purge();
    const a0 = alloc.stats().allocated;
    const vms = Array.from({ length: N }, (_, k) => lua.vmNew(b, b.length, empty, 1e7, 64 * 2 ** 20, k, libDir));
    const per = (alloc.stats().allocated - a0) / N;
    const structs = lua.serviceBytes() / N;
    vms.forEach((h) => lua.vmClose(h));
    return { per, structs, codeCache: lua.codeCacheBytes() };
  };
  const jeBare = perVm('');
  const jeLib = perVm(join(build.root, 'lualib'));
  const jeSky = skyWith ? perVm(join(build.root, 'lualib'), attachLua(sky.lib)) : null;
  const lines = [
    `one agent VM, ${N} services per kind (skynet f19d1605 ${build.recipe}, jemalloc ${build.jemallocVersion}; Lua memory after a full collection)`,
    '',
    `skynet, code cache on (as deployed)`,
    `  snlua + loader.lua, no skynet library        ${kib(on.bare!.c0)}   jemalloc allocated per service ${kib(on.bare!.alloc / 1024)}`,
    `  + require "skynet"                            ${kib(on.lib!.c1)}   (+${kib(on.lib!.c1 - on.lib!.c0)})`,
    `  + skynet.start                                ${kib(on.lib!.c2)}   jemalloc allocated per service ${kib(on.lib!.alloc / 1024)}`,
    `  simload_agent.lua, empty script (skynet mem)  ${kib(on.agent!.c2)}   jemalloc allocated per service ${kib(on.agent!.alloc / 1024)}`,
    `skynet, code cache off (prototypes per VM)`,
    `  snlua + loader.lua                            ${kib(offRows.bare!.c0)}`,
    `  + require "skynet"                            ${kib(offRows.lib!.c1)}   (+${kib(offRows.lib!.c1 - offRows.lib!.c0)})`,
    `  + skynet.start                                ${kib(offRows.lib!.c2)}`,
    `simload (${release()}, the script check's VMs, after a full collection)`,
    `  bare sandbox                                  ${kib(bare.emptyBytes / 1024)}   jemalloc allocated per VM ${kib(jeBare.per / 1024)}`,
    `  with service_lib (skynet's lualib)            ${kib(lib.emptyBytes / 1024)}   jemalloc allocated per VM ${kib(jeLib.per / 1024)} (skynet's C structures ${kib(jeLib.structs / 1024)})`,
    `                                                          prototypes in the code heap ${kib(lib.libCodeBytes / 1024)}`,
    `  ratio simload/skynet (started service)        ${(lib.emptyBytes / 1024 / on.lib!.c2).toFixed(2)}`,
  ];
  if (skyBare && skyWith) {
    lines.push(
      `simload with lua: skynet (${release(sky.lib)}, skynet's 3rd/lua)`,
      `  bare sandbox                                  ${kib(skyBare.emptyBytes / 1024)}`,
      `  with service_lib (skynet's lualib)            ${kib(skyWith.emptyBytes / 1024)}   jemalloc allocated per VM ${kib(jeSky!.per / 1024)} (prototypes shared)`,
      `                                                          prototypes ${kib(skyWith.libCodeBytes / 1024)} per VM in the check; at run time shared: code cache ${kib(jeSky!.codeCache / 1024)} once`,
      `  ratio simload/skynet (started service)        ${(skyWith.emptyBytes / 1024 / on.lib!.c2).toFixed(2)}`,
    );
  } else {
    lines.push(
      `simload with lua: skynet: not measured (${sky.lib} is not built from today's agent.c: npm run build:peers)`,
    );
  }
  process.stdout.write(lines.join('\n') + '\n');
} finally {
  rmSync(tmp, { recursive: true, force: true });
}
