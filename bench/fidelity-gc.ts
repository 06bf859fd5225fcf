// The collector side by side: N agents of one script on a real skynet (simload_agent.lua, snlua's VMs) and as
// simload's VMs (skynet's Lua and lualib, the same dispatch path, one thread, no server), logged in, then one
// message each per round. Prints every agent's Lua memory summed, per round, on both sides: where the curves part
// is where the collectors differ. Usage: npm run fidelity:gc -- [--n 300] [--rounds 200] [--every 10] [--script F]
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { requirePeerSources } from '../src/native/peers.js';
import { findSkynetBuild } from '../src/native/skynet-build.js';
import { writeSkynetConfig } from '../src/native/skynet-config.js';
import { DRIVER_DIR } from '../src/fidelity/skynet-driver.js';
import { skynetAgentLib } from '../src/native/agent-build.js';
import { attachLua, LuaFn } from '../src/server/lua-vm.js';
import { Allocator } from '../src/alloc/allocator.js';

const { values } = parseArgs({
  options: {
    n: { type: 'string', default: '300' },
    rounds: { type: 'string', default: '200' },
    every: { type: 'string', default: '10' },
    script: { type: 'string', default: 'scenarios/agents/rpg.lua' },
  },
});
const N = Number(values.n),
  ROUNDS = Number(values.rounds),
  EVERY = Number(values.every);
const script = resolve(values.script!);
const src = requirePeerSources();
const build = findSkynetBuild({ skynetSrc: src.skynet, jemallocSrc: src.jemalloc, recipe: 'madv-free' });
const sky = build ? skynetAgentLib(build.root) : null;
if (!build || !sky?.current) {
  process.stderr.write('fidelity:gc: no skynet peer build with its agent library; run `npm run build:peers`\n');
  process.exit(3);
}
const tmp = mkdtempSync(join(tmpdir(), 'simload-gc-'));

type Point = { round: number; lua: number; alloc: number };

function skynet(): Point[] {
  const config = writeSkynetConfig(join(tmp, 'config'), {
    root: build!.root,
    start: 'simload_gcprobe',
    serviceDirs: [DRIVER_DIR],
    thread: 2,
    env: { simload_gc_n: N, simload_gc_rounds: ROUNDS, simload_gc_every: EVERY, simload_gc_script: script },
  });
  const r = spawnSync(build!.binary, [config], {
    cwd: build!.root,
    encoding: 'utf8',
    timeout: 900_000,
    env: { ...process.env, JE_MALLOC_CONF: '' },
  });
  const out = [...r.stdout.matchAll(/^GC round=(\d+) lua=(\S+) alloc=(\S+)$/gm)].map((m) => ({
    round: Number(m[1]),
    lua: Number(m[2]) * 1024,
    alloc: Number(m[3]),
  }));
  if (out.length === 0) throw new Error(`skynet gc probe failed:\n${r.stdout}\n${r.stderr}`);
  return out;
}

function simload(): Point[] {
  const alloc = Allocator.load({ name: 'madv-free', build: 'madv-free' });
  const lua = attachLua(sky!.lib);
  const text = readFileSync(script);
  const lib = join(build!.root, 'lualib');
  const vms = Array.from({ length: N }, (_, i) => {
    const h = lua.vmNew(text, text.length, script, 1e7, 64 * 2 ** 20, i + 1, lib);
    if (h < 0) throw new Error(lua.lastError());
    return h;
  });
  const bytes = vms.map((h, i) => lua.call(h, LuaFn.login, i + 1, 0));
  const point = (round: number): Point => (
    alloc.purge(),
    { round, lua: bytes.reduce((a, b) => a + b, 0), alloc: alloc.stats().allocated }
  );
  const out = [point(0)];
  for (let r = 1; r <= ROUNDS; r++) {
    vms.forEach((h, i) => (bytes[i] = lua.call(h, LuaFn.message, r, i + 1)));
    if (r % EVERY === 0) out.push(point(r));
  }
  vms.forEach((h) => lua.vmClose(h));
  return out;
}

try {
  const a = skynet();
  const b = simload();
  const mib = (x: number) => (x / 2 ** 20).toFixed(2);
  const lines = [
    `${N} agents of ${values.script}, one message each per round (load average ${readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')})`,
    'Lua memory of all agents and jemalloc allocated (MiB; allocated is the whole process on each side)',
    'round  skynet  simload  ratio   allocated: skynet  simload',
  ];
  for (const p of a) {
    const q = b.find((x) => x.round === p.round);
    if (q)
      lines.push(
        `${String(p.round).padStart(5)}  ${mib(p.lua).padStart(6)}  ${mib(q.lua).padStart(7)}  ${(q.lua / p.lua).toFixed(3)}  ${mib(p.alloc).padStart(17)}  ${mib(q.alloc).padStart(7)}`,
      );
  }
  const slope = (s: Point[]) => (s.at(-1)!.lua - s[1]!.lua) / (s.at(-1)!.round - s[1]!.round);
  lines.push(
    `per round after round ${a[1]!.round}: skynet ${(slope(a) / 1024).toFixed(1)} KiB, simload ${(slope(b) / 1024).toFixed(1)} KiB`,
  );
  process.stdout.write(lines.join('\n') + '\n');
} finally {
  rmSync(tmp, { recursive: true, force: true });
}
