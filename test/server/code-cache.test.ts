// Shared prototypes, as skynet: with skynet's own Lua (scenario `lua: skynet`) every file an agent VM loads (the
// service library, the prelude, the agent script) goes through skynet's code cache (3rd/lua/lauxlib.c), so the
// prototypes exist once per server process and each VM holds closures over them; the cache's states allocate
// from the variant's allocator, as in skynet (native/agent_codecache.c). Needs the cached skynet peer build.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Allocator } from '../../src/alloc/allocator.js';
import { attachLua, loadLua, LuaFn } from '../../src/server/lua-vm.js';
import type { AgentScript } from '../../src/server/options.js';
import { serviceLib, skynetLua } from '../../src/scenario/script.js';
import { readProcMemory } from '../../src/proc/memory.js';
import koffi from 'koffi';
import { launchServer } from '../../src/server/launch.js';
import { Client, inBatches, serverOptions, VARIANTS } from './client.js';

const tmp = mkdtempSync(join(tmpdir(), 'simload-codecache-'));
let why = '';
const SKY = skynetLua((m) => (why = m));
const LUALIB = serviceLib('skynet', tmp, () => undefined);
const skip = SKY && LUALIB ? false : `no skynet peer build with its agent library: ${why}`;

/** libc's bytes in use (mallinfo2: uordblks + hblkhd), this process. */
const MALLINFO2 = koffi.struct(
  'mallinfo2_t',
  Object.fromEntries(
    ['arena', 'ordblks', 'smblks', 'hblks', 'hblkhd', 'usmblks', 'fsmblks', 'uordblks', 'fordblks', 'keepcost'].map(
      (k) => [k, 'size_t'],
    ),
  ),
);
const mallinfo2 = koffi.load('libc.so.6').func('mallinfo2', MALLINFO2, []);
function libcInUse(): number {
  const m = mallinfo2() as { uordblks: number; hblkhd: number };
  return Number(m.uordblks) + Number(m.hblkhd);
}

const EMPTY = 'function login() end\nfunction message() end\n';

function script(over: Partial<AgentScript> = {}): AgentScript {
  const path = join(tmp, 'agent.lua');
  writeFileSync(path, EMPTY);
  return { path, source: EMPTY, maxInstructions: 10_000_000, maxMemoryBytes: 64 * 2 ** 20, luaLib: SKY!.lib, ...over };
}

/** Process Rss grown per agent when N players log in to a real 2-thread server (madv-free) running `s`. */
async function rssPerAgent(
  s: AgentScript,
  n: number,
  prefix: string,
): Promise<{ perAgent: number; codeCache: number; codeShared: number }> {
  const h = await launchServer({
    options: serverOptions({ threads: 2, logoutFreeDelayMs: 0, agentModel: 'lua', script: s }),
    variant: VARIANTS['madv-free']!,
  });
  try {
    await h.purge();
    const base = (await readProcMemory(h.pid)).rss;
    const clients = await inBatches(n, 50, async (i) => {
      const c = await Client.open(h.url);
      assert.deepEqual(await c.login(`${prefix}-${i}`), { t: 'ok', seq: 1, op: 'login' });
      return c;
    });
    const peak = await h.purge();
    assert.equal(peak.luaVms, n);
    assert.equal(peak.counters.errors, 0);
    const rss = (await readProcMemory(h.pid)).rss;
    await inBatches(n, 50, async (i) => clients[i]!.close());
    return {
      perAgent: (rss - base) / n,
      codeCache: peak.luaCode?.cacheBytes ?? -1,
      codeShared: peak.luaCode?.model === 'shared' ? 1 : 0,
    };
  } finally {
    await h.stop();
  }
}

test(
  "1 000 agents with skynet's service library cost less than 60 KiB of Rss each over 1 000 bare ones",
  { skip },
  async (t) => {
    const bare = await rssPerAgent(script(), 1000, 'bare');
    const lib = await rssPerAgent(script({ serviceLib: LUALIB! }), 1000, 'lib');
    const extra = lib.perAgent - bare.perAgent;
    t.diagnostic(
      `Rss per agent: bare ${(bare.perAgent / 1024).toFixed(1)} KiB, with the library ${(lib.perAgent / 1024).toFixed(1)} KiB; code cache ${lib.codeCache} B`,
    );
    // skynet f19d1605: a started service's VM holds 41.9 KiB against a bare VM's ~15 KiB, plus 1.8 KiB of C
    // structures. A copy of the library's prototypes per VM (the code heap: about 70 KiB more) fails this.
    assert.ok(
      extra < 60 * 1024,
      `Rss per agent: ${(lib.perAgent / 1024).toFixed(1)} KiB with the library, ${(bare.perAgent / 1024).toFixed(1)} KiB bare: ${(extra / 1024).toFixed(1)} KiB more`,
    );
    assert.ok(
      extra > 10 * 1024,
      `the library's VM objects (tables, closures, coroutines) still cost per agent: ${(extra / 1024).toFixed(1)} KiB`,
    );
    assert.equal(lib.codeShared, 1, 'the server says its VMs share prototypes');
    // skynet's lualib (skynet.lua and its requires: 67 KiB of prototypes in skynet) compiled once, not 1 000 copies
    assert.ok(lib.codeCache >= 50 * 1024 && lib.codeCache <= 400 * 1024, `code cache ${lib.codeCache} B`);
  },
);

test(
  "the code cache's states live in the variant's allocator: jemalloc allocated moves when it fills, libc's does not",
  { skip },
  () => {
    // One process (this test file's): jemalloc (madv-free) is the target, so libc's mallinfo2 and jemalloc's
    // allocated are both read here. The first VM fills the cache; the second one only clones from it.
    const alloc = Allocator.load(VARIANTS['madv-free']!);
    const f = attachLua(SKY!.lib);
    assert.equal(f.codeShared(), 1);
    const src = Buffer.from(EMPTY, 'utf8');
    const vm = (name: string): number => {
      const h = f.vmNew(src, src.length, join(tmp, name), 10_000_000, 64 * 2 ** 20, 1, LUALIB!);
      assert.ok(h >= 0, f.lastError());
      return h;
    };
    // purge first: it flushes this thread's tcache, so allocated counts every block handed out
    const read = () => (alloc.purge(), { je: alloc.stats().allocated, libc: libcInUse(), cache: f.codeCacheBytes() });
    // a bare VM first, so the process's own libc bookkeeping (the VM handle table) is in place before the count
    const warm = f.vmNew(src, src.length, join(tmp, 'warm.lua'), 10_000_000, 64 * 2 ** 20, 1, '');
    assert.ok(warm >= 0, f.lastError());
    const before = read();
    const first = vm('first.lua');
    const filled = read();
    const second = vm('first.lua');
    const cloned = read();
    const cacheGrew = filled.cache - before.cache;
    assert.ok(cacheGrew >= 50 * 1024, `the cache took ${cacheGrew} B for skynet.lua and its requires`);
    // jemalloc holds the cache and the first VM; libc only simload's bookkeeping (the VM's struct, the prelude's
    // text as the cache's key: 3.4 KB measured), where a cache over libc would add all of its ~190 KB
    assert.ok(
      filled.je - before.je >= cacheGrew,
      `jemalloc allocated +${filled.je - before.je} B for a cache of ${cacheGrew} B`,
    );
    assert.ok(Math.abs(filled.libc - before.libc) < 8 * 1024, `libc in use moved by ${filled.libc - before.libc} B`);
    // the second VM with the same files adds nothing to the cache; its own VM is far smaller than the cache
    assert.equal(cloned.cache, filled.cache);
    assert.ok(
      cloned.je - filled.je < cacheGrew / 2,
      `a second VM took ${cloned.je - filled.je} B, the cache ${cacheGrew} B`,
    );
    assert.ok(f.call(second, LuaFn.login, 1, 0) >= 0, f.lastError());
    assert.equal(f.vmClose(first), 0);
    assert.equal(f.vmClose(second), 0);
    assert.equal(f.vmClose(warm), 0);
    assert.equal(f.codeCacheBytes(), filled.cache, "the cache outlives its VMs, as skynet's");
    assert.equal(loadLua(SKY!.lib).codeHeapBytes(), 0, "no code heap with skynet's Lua");
  },
);

test(
  "on Debian's Lua (no shareable prototypes) each VM keeps its own copy: more than 60 KiB over bare",
  { skip },
  async (t) => {
    // The same measure fails the per-VM model, so the bound above tells the two apart.
    const deb = { luaLib: undefined } as Partial<AgentScript>;
    const bare = await rssPerAgent(script(deb), 1000, 'dbare');
    const lib = await rssPerAgent(script({ ...deb, serviceLib: LUALIB! }), 1000, 'dlib');
    const extra = lib.perAgent - bare.perAgent;
    t.diagnostic(
      `Debian's Lua: Rss per agent bare ${(bare.perAgent / 1024).toFixed(1)} KiB, with the library ${(lib.perAgent / 1024).toFixed(1)} KiB`,
    );
    assert.equal(lib.codeShared, 0);
    assert.ok(
      extra > 60 * 1024,
      `${(extra / 1024).toFixed(1)} KiB more per agent with a copy of the prototypes in each VM`,
    );
  },
);
