// Lua agents: each agent service hosts a Lua VM over the variant's allocator. Real server, real
// sockets, real jemalloc: memory per login, a VM closed at logout gives its memory back, and bad scripts get
// clear errors while the server keeps serving other players.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { launchServer } from '../../src/server/launch.js';
import type { AgentScript, ServerOptions } from '../../src/server/options.js';
import { checkScript } from '../../src/server/script-check.js';
import { parseScenario } from '../../src/scenario/load.js';
import { Client, inBatches, serverOptions, VARIANTS } from './client.js';
import { waitFor } from '../helpers/wait.js';

const RPG = join(process.cwd(), 'scenarios', 'agents', 'rpg.lua');
const tmp = mkdtempSync(join(tmpdir(), 'simload-lua-'));

function script(path: string, source = readFileSync(path, 'utf8')): AgentScript {
  return { path, source, maxInstructions: 10_000_000, maxMemoryBytes: 64 * 2 ** 20 };
}

function luaOptions(s: AgentScript, over: Partial<ServerOptions> = {}): ServerOptions {
  return serverOptions({ threads: 2, logoutFreeDelayMs: 0, agentModel: 'lua', script: s, ...over });
}

function write(name: string, text: string): string {
  const p = join(tmp, name);
  writeFileSync(p, text);
  return p;
}

const N = 200;

test(`madv-free: ${N} Lua agents cost what their VMs hold; closing the VMs returns allocated to baseline`, async () => {
  const s = script(RPG);
  const check = checkScript(s, 'per-player');
  const h = await launchServer({ options: luaOptions(s), variant: VARIANTS['madv-free']! });
  try {
    const base = (await h.purge()).alloc.allocated;
    const clients = await inBatches(N, 50, async (i) => {
      const c = await Client.open(h.url);
      assert.deepEqual(await c.login(`lua-${i}`), { t: 'ok', seq: 1, op: 'login' });
      for (let k = 0; k < 3; k++) assert.equal((await c.msg())?.t, 'ok');
      return c;
    });
    const peak = await h.purge();
    assert.equal(peak.online, N);
    assert.equal(peak.services, N, 'one agent service per player');
    assert.equal(peak.luaVms, N, 'one Lua VM per agent service');
    assert.equal(peak.loaded, N, 'every login ran: the state of all players is in the heap (load validity reads this)');
    assert.equal(peak.counters.messages, 3 * N);
    assert.equal(peak.counters.errors, 0);
    const perPlayer = (peak.alloc.allocated - base) / N;
    // Every Lua object is in jemalloc: what the VMs say they hold (skynet's `mem`) is in stats.allocated.
    const vmBytes = (await h.services()).reduce((a, x) => a + x.bytes, 0);
    assert.ok(
      perPlayer >= 100 * 1024 && perPlayer <= 300 * 1024,
      `allocated per player ${Math.round(perPlayer)} B; expected 100..300 KiB`,
    );
    assert.ok(
      vmBytes / N >= check.loginBytes * 0.8,
      `VMs hold ${Math.round(vmBytes / N)} B each; the check saw ${check.loginBytes} B after login`,
    );
    // jemalloc rounds to size classes, so allocated is a little above what Lua asked for, never below.
    assert.ok(
      perPlayer >= (vmBytes / N) * 0.98 && perPlayer <= (vmBytes / N) * 1.3,
      `allocated per player ${Math.round(perPlayer)} B vs VM bytes ${Math.round(vmBytes / N)} B`,
    );

    await inBatches(N, 50, async (i) => {
      assert.equal((await clients[i]!.logout())?.t, 'ok');
      await clients[i]!.close();
    });
    await waitFor('agents to exit', async () => (await h.stats()).services === 0);
    const end = await h.purge();
    assert.equal(end.luaVms, 0, 'every VM was closed when its player left');
    assert.equal(end.loaded, 0);
    // Every game message was copied into the variant's heap by the gate and freed by a worker.
    assert.deepEqual(end.luaPackets, { live: 0, made: 3 * N });
    const added = peak.alloc.allocated - base;
    assert.ok(
      Math.abs(end.alloc.allocated - base) < 0.02 * added,
      `after lua_close of every VM allocated is ${end.alloc.allocated - base} B from baseline (login added ${added} B)`,
    );
  } finally {
    await h.stop();
  }
});

test("a per-player agent starts in a turn of its own and logs in in a later one (skynet's newservice, then the login call)", async () => {
  const s = script(RPG);
  const h = await launchServer({ options: luaOptions(s), variant: VARIANTS['madv-free']! });
  try {
    const c = await Client.open(h.url);
    assert.deepEqual(await c.login('turns-1'), { t: 'ok', seq: 1, op: 'login' });
    assert.deepEqual(
      (await h.services()).map((x) => x.turns),
      [2],
      'start, then login',
    );
    assert.equal((await c.msg())?.t, 'ok');
    assert.deepEqual(
      (await h.services()).map((x) => x.turns),
      [3],
    );
    // Clients that leave before their login is answered: their VMs are closed and no error is counted.
    for (let i = 0; i < 20; i++) {
      const d = await Client.open(h.url);
      d.send({ t: 'login', seq: 1, player: `gone-${i}` });
      await d.close();
    }
    await waitFor("the leavers' agents to exit", async () => (await h.stats()).services === 1);
    const st = await h.stats();
    assert.equal(st.luaVms, 1);
    assert.equal(st.counters.errors, 0);
  } finally {
    await h.stop();
  }
});

test('pool agents log in in one turn: their VM is started at the first login', async () => {
  const h = await launchServer({
    options: luaOptions(script(RPG), { agent: 'pool', poolSize: 1 }),
    variant: VARIANTS['madv-free']!,
  });
  try {
    const c = await Client.open(h.url);
    assert.equal((await c.login('pool-1'))?.t, 'ok');
    assert.deepEqual(
      (await h.services()).map((x) => x.turns),
      [1],
    );
  } finally {
    await h.stop();
  }
});

test('a script with a syntax error: the scenario check and the server start both name file:line', async () => {
  const bad = write('syntax.lua', 'function login(id)\n  local x = = 1\nend\nfunction message(n) end\n');
  assert.throws(
    () => checkScript(script(bad), 'per-player'),
    (e: Error & { code?: string }) => e.code === 'ERR_SCRIPT' && e.message.includes(`${bad}:2:`),
  );
  const yaml = write(
    's.yaml',
    `name: s\nserver:\n  script: syntax.lua\nvariants: [{ name: g, build: glibc }]\nload: { phases: [ { ramp: { to: 10, over: 1s } } ] }\n`,
  );
  assert.throws(
    () => parseScenario(readFileSync(yaml, 'utf8'), yaml),
    (e: Error) =>
      e.message.includes(`${yaml}:3:11 server.script:`) &&
      e.message.includes('syntax.lua:2:') &&
      /unexpected symbol/.test(e.message),
  );
  await assert.rejects(
    launchServer({ options: luaOptions(script(bad)), variant: VARIANTS['glibc']! }),
    (e: Error & { code?: string }) => e.code === 'ERR_SCRIPT' && e.message.includes(`${bad}:2:`),
  );
});

test('an error at login, a missing handler and a forbidden library are caught before the run', () => {
  const atLogin = write(
    'login.lua',
    'function login(id)\n  local t = nil\n  return t.x\nend\nfunction message(n) end\n',
  );
  assert.throws(() => checkScript(script(atLogin), 'per-player'), /login\.lua:3: attempt to index a nil value/);
  const noMessage = write('nomsg.lua', 'function login(id) end\n');
  assert.throws(() => checkScript(script(noMessage), 'per-player'), /defines no message function/);
  const io = write('io.lua', 'function login(id) io.open("/etc/passwd") end\nfunction message(n) end\n');
  assert.throws(() => checkScript(script(io), 'per-player'), /io\.lua:1: attempt to index a nil value \(global 'io'\)/);
  const gc = write('gc.lua', 'function login(id) collectgarbage() end\nfunction message(n) end\n');
  assert.throws(() => checkScript(script(gc), 'per-player'), /gc\.lua:1: collectgarbage\("collect"\) is not allowed/);
  const noLogout = write('nologout.lua', 'function login(id) end\nfunction message(n) end\n');
  assert.equal(checkScript(script(noLogout), 'per-player').logoutBytes, null);
  assert.throws(() => checkScript(script(noLogout), 'pool'), /must define logout\(player_id\)/);
});

test('runaway loop, error, 1 GiB allocation in handlers: each answered with a counted error; the server serves on', async () => {
  const p = write(
    'bad-handlers.lua',
    [
      'local state',
      'function login(id) state = { id = id, items = {} } end',
      'function message(n)',
      '  if n == 3 then while true do end end',
      '  if n == 4 then error("boom at " .. n) end',
      '  if n == 5 then local s = string.rep("x", 1 << 30) state.big = s end',
      '  state.items[#state.items + 1] = n',
      'end',
      '',
    ].join('\n'),
  );
  const s = { ...script(p), maxInstructions: 2_000_000 };
  const h = await launchServer({ options: luaOptions(s), variant: VARIANTS['madv-free']! });
  try {
    const bad = await Client.open(h.url);
    const good = await Client.open(h.url);
    assert.equal((await bad.login('bad'))?.t, 'ok');
    assert.equal((await good.login('good'))?.t, 'ok');
    // The check before start runs message(1) and message(2): the bad ones come after.
    assert.equal((await bad.msg())?.t, 'ok');
    assert.equal((await bad.msg())?.t, 'ok');
    const loop = (await bad.msg()) as { t: string; message?: string };
    assert.equal(loop.t, 'err');
    assert.match(loop.message!, /bad-handlers\.lua:4: message\(3\) ran more than 2000000 instructions \(stopped\)/);
    assert.equal((await good.msg())?.t, 'ok', 'another player is served after the runaway loop');
    const boom = (await bad.msg()) as { t: string; message?: string };
    assert.equal(boom.t, 'err');
    assert.match(boom.message!, /bad-handlers\.lua:5: boom at 4/);
    const before = (await h.stats()).runtime.rss;
    const big = (await bad.msg()) as { t: string; message?: string };
    assert.equal(big.t, 'err');
    assert.match(big.message!, /message\(5\) ran out of memory: the VM's limit is 67108864 bytes/);
    const after = await h.stats();
    assert.ok(
      after.runtime.rss - before < 80 * 2 ** 20,
      `Rss grew ${after.runtime.rss - before} B for a refused 1 GiB string`,
    );
    // The same VM still works after each error, and so does everyone else.
    assert.equal((await bad.msg())?.t, 'ok');
    assert.equal((await good.msg())?.t, 'ok');
    const st = await h.stats();
    assert.equal(st.counters.errors, 3);
    assert.equal(st.counters.messages, 5, 'three good messages from one player, two from the other');
    // Failed handlers free their packets too: every one of the 8 messages' copies is gone.
    assert.deepEqual(st.luaPackets, { live: 0, made: 8 });
    await bad.close();
    await good.close();
  } finally {
    await h.stop();
  }
});

test('pool agents keep their VMs; logout(player_id) drops a player so Lua collects it', async () => {
  const s = script(RPG);
  const h = await launchServer({
    options: luaOptions(s, { agent: 'pool', poolSize: 3 }),
    variant: VARIANTS['madv-free']!,
  });
  try {
    const wave = async (prefix: string, n: number): Promise<number> => {
      const clients = await inBatches(n, 20, async (i) => {
        const c = await Client.open(h.url);
        assert.equal((await c.login(`${prefix}-${i}`))?.t, 'ok');
        for (let k = 0; k < 3; k++) assert.equal((await c.msg())?.t, 'ok');
        return c;
      });
      const held = (await h.services()).reduce((a, x) => a + x.bytes, 0);
      await inBatches(n, 20, async (i) => {
        assert.equal((await clients[i]!.logout())?.t, 'ok');
        await clients[i]!.close();
      });
      return held;
    };
    const first = await wave('a', 30);
    const services = await h.services();
    assert.equal(services.length, 3, 'pool agents outlive their players');
    assert.ok(
      services.every((x) => x.players === 0 && x.bytes > 0),
      'each pool VM is still alive after its players left',
    );
    assert.equal((await h.stats()).luaVms, 3);
    // The second wave allocates past the VMs' collection thresholds; what the first wave left is garbage
    // only if logout dropped it. Kept, it would add up to first + second.
    const second = await wave('b', 60);
    assert.ok(
      second < 0.85 * (first + 2 * first),
      `VMs hold ${second} B after a 60-player wave that followed a 30-player wave of ${first} B: the first wave was not collected`,
    );
    const st = await h.stats();
    assert.equal(st.counters.errors, 0);
    assert.equal(st.counters.logins, 90);
  } finally {
    await h.stop();
  }
});
