// Which service holds it, on a real skynet (cached build from ../shared/vendor): a service that keeps C memory
// (skynet.pack buffers it never frees, test/watch/skynet/cleak.lua) and exits is named in the folder and the
// report as an exited service holding that C memory, to the bytes skynet's own accounting gives; the holder,
// whose Lua memory grew, and the leaker are the top growers between the marks. Lists are kept to 3 names per
// sample (--skynet-top 3), so the rest is summed and growth outside the lists is a lower bound. Without
// skynet: how cmem is split by list, on skynet's own output format.
import assert from 'node:assert/strict';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import type { Sample } from '../../src/results/sample.js';
import type { Summary } from '../../src/analysis/summary.js';
import { HandleNames } from '../../src/watch/attribution.js';
import { runWatch } from '../../src/watch/run-watch.js';
import { needsVendor } from '../native/vendor.js';
import { markStream, sink, startWatchedSkynet } from './helpers.js';
import { ndjson } from '../helpers/ndjson.js';

const MB = 1e6;
const BLOCKS = 6;
const BLOCK = 700_000;
// skynet.pack of a string of 64 KiB or more: 1 type byte and a 4-byte length before it; malloc_hook.c charges
// its 16-byte cookie on top of each block.
const LEAKED = BLOCKS * (BLOCK + 5 + 16);
const TOP = 3;
const skip = needsVendor('skynet');

test('cmem split by list: live, exited (named from an earlier list), never listed; bounded; forgotten at 0 bytes', () => {
  const names = new HandleNames();
  const cmem = (handles: Array<[string, number]>) => ({
    handles: handles.map(([address, bytes]) => ({ address, bytes })),
    total: handles.reduce((a, h) => a + h[1], 0),
    blocks: 1,
  });
  const first = names.read(
    new Map([
      [':0000000a', 'snlua agent 1'],
      [':0000000b', 'snlua agent 2'],
    ]),
    cmem([
      [':00000003', 30],
      [':00000009', 0],
      [':0000000a', 100],
      [':0000000b', 50],
      [':fffffffe', 999],
    ]),
    1,
  );
  assert.deepEqual(first.live, {
    count: 2,
    bytes: 150,
    top: [{ address: ':0000000a', name: 'snlua agent 1', bytes: 100 }],
  });
  assert.deepEqual(first.exited, { count: 0, bytes: 0, top: [] });
  assert.deepEqual(first.unlisted, {
    count: 2,
    bytes: 1029,
    top: [{ address: ':fffffffe', name: '(socket thread)', bytes: 999 }],
  });
  // :0000000b left the list and keeps 40 bytes: exited, by the name the first list gave it.
  const second = names.read(
    new Map([[':0000000a', 'snlua agent 1']]),
    cmem([
      [':0000000a', 100],
      [':0000000b', 40],
    ]),
    5,
  );
  assert.deepEqual(second.exited, {
    count: 1,
    bytes: 40,
    top: [{ address: ':0000000b', name: 'snlua agent 2', bytes: 40 }],
  });
  assert.equal(second.total, 140);
  // Once it holds nothing it is forgotten: bytes charged to that handle later are not named by it.
  names.read(
    new Map([[':0000000a', 'snlua agent 1']]),
    cmem([
      [':0000000a', 100],
      [':0000000b', 0],
    ]),
    5,
  );
  const fourth = names.read(
    new Map([[':0000000a', 'snlua agent 1']]),
    cmem([
      [':0000000a', 100],
      [':0000000b', 8],
    ]),
    5,
  );
  assert.deepEqual(fourth.exited.count, 0);
  assert.deepEqual(fourth.unlisted.top, [{ address: ':0000000b', name: null, bytes: 8 }]);
});

test(
  'watch names an exited service that left C memory behind, and the top growers between marks',
  { skip, timeout: 300_000 },
  async () => {
    const sk = await startWatchedSkynet({
      recipe: 'madv-free',
      conf: '',
      start: 'attrib',
      env: { grow_after_ms: 3000, exit_after_ms: 3000, leak_blocks: BLOCKS, leak_block_bytes: BLOCK, strings: 30000 },
    });
    const marks = markStream();
    const ctl = new AbortController();
    const out = sink();
    const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
    try {
      const watching = runWatch({
        pid: sk.pid,
        cmd: null,
        name: 'attrib',
        outDir: await mkdtemp(join(tmpdir(), 'simload-watch-')),
        intervalMs: 250,
        durationMs: null,
        console: { host: '127.0.0.1', port: sk.port },
        inject: false,
        memIntervalMs: 1000,
        topServices: TOP,
        onlineCmd: null,
        expect: [],
        marks,
        out,
        signal: ctl.signal,
      });
      await sk.printed('SIMLOAD ready');
      marks.mark('up');
      await sk.printed('SIMLOAD grown');
      marks.mark('peak');
      await sk.printed('SIMLOAD cleak exits');
      await sleep(1500);
      marks.mark('quiet');
      await sleep(1500);
      ctl.abort('SIGINT');
      assert.equal(await watching, 130);
    } finally {
      await sk.stop();
    }
    const said = sk.output();
    const grown = /SIMLOAD grown packed (\d+) charged (\d+)/.exec(said)!;
    assert.equal(Number(grown[1]), BLOCKS * (BLOCK + 5), "skynet.pack's buffers");
    assert.equal(
      Number(grown[2]),
      LEAKED,
      "the leaker's own C memory (skynet.memory.current) grew by the buffers and their cookies",
    );
    const exit = /\[(:[0-9a-f]{8})\] SIMLOAD cleak exits holding (\d+)/.exec(said)!;
    const leaker = exit[1]!;
    const heldAtExit = Number(exit[2]);

    const dir = /folder (\S+)/.exec(out.text())![1]!;
    const samples = ndjson<Sample>(await readFile(join(dir, 'samples.ndjson'), 'utf8'));
    const readings = samples.filter((s) => s.skynet?.cmem);
    // At most one reading a second (--skynet-mem 1s), plus one at each mark and at the end.
    assert.ok(
      readings.length >= 8 && readings.length < samples.length / 2,
      `${readings.length} readings in ${samples.length} samples`,
    );
    for (const s of readings) {
      const c = s.skynet!.cmem!;
      for (const g of [c.live, c.exited, c.unlisted]) {
        assert.ok(g.top.length <= TOP && g.top.length <= g.count, `bounded list: ${JSON.stringify(g)}`);
        assert.ok(
          g.top.every((h, i) => i === 0 || g.top[i - 1]!.bytes >= h.bytes),
          'largest first',
        );
      }
      // The groups split skynet's own total (every handle it charged), up to what moved between two calls.
      const sum = c.live.bytes + c.exited.bytes + c.unlisted.bytes;
      assert.ok(Math.abs(sum - c.total!) < 256 * 1024, `groups ${sum} against skynet's total ${c.total} at ${s.t} ms`);
      assert.ok(s.skynet!.servicesMs! > 0, 'the per-service reads timed');
      assert.ok(s.skynet!.top.length <= TOP);
      if (s.skynet!.luaTotal !== null)
        assert.equal(s.skynet!.top.reduce((a, x) => a + x.bytes, 0) + s.skynet!.luaRest!, s.skynet!.luaTotal);
    }
    // While it lived, the leaker was a live service holding the bytes.
    assert.ok(
      readings.some((s) =>
        s.skynet!.cmem!.live.top.some(
          (h) => h.address === leaker && h.name === 'snlua cleak' && Math.abs(h.bytes - LEAKED) < 0.01 * LEAKED,
        ),
      ),
      'the leaker, live, holding its C memory',
    );

    const summary = JSON.parse(await readFile(join(dir, 'summary.json'), 'utf8')) as Summary;
    const a = summary.variants[0]!.attribution!;
    assert.ok(a, 'summary.json has the attribution');
    const gone = a.last.exited.top.find((h) => h.address === leaker);
    assert.ok(gone, `the leaker ${leaker} among the exited: ${JSON.stringify(a.last)}`);
    assert.equal(gone.name, 'snlua cleak', 'named by the launch command last seen in list');
    assert.ok(Math.abs(gone.bytes - LEAKED) < 0.01 * LEAKED, `exited, holding ${gone.bytes} bytes; leaked ${LEAKED}`);
    assert.equal(gone.bytes, heldAtExit, 'to the byte what skynet.memory.current() gave the leaker as it exited');
    assert.ok(!a.last.live.top.some((h) => h.address === leaker), 'no longer live');

    const span = (from: string, to: string) => a.spans.find((s) => s.from === from && s.to === to);
    const upPeak = span('up', 'peak')!;
    assert.ok(upPeak, `spans: ${a.spans.map((s) => `${s.from}->${s.to}`).join(', ')}`);
    const holder = upPeak.services.find((g) => g.name === 'snlua holder');
    // 30 000 strings of ~205 bytes in one table: several MB of Lua memory.
    assert.ok(holder && holder.growth > 4 * MB, `the holder grew: ${JSON.stringify(upPeak.services)}`);
    const leak = upPeak.services.find((g) => g.address === leaker)!;
    assert.ok(
      leak && leak.cmem > 0.99 * LEAKED && leak.growth > 0.9 * LEAKED,
      `the leaker grew: ${JSON.stringify(leak)}`,
    );
    assert.equal(upPeak.services[0]!.name, 'snlua holder', 'largest growth first');
    // Over the whole watch the leaker is still a grower: exited, its C memory charged.
    const whole = span('baseline', 'end')!;
    const leftover = whole.services.find((g) => g.address === leaker)!;
    assert.ok(
      leftover && leftover.exited && Math.abs(leftover.cmem - LEAKED) < 0.01 * LEAKED,
      JSON.stringify(whole.services),
    );

    assert.match(
      out.text(),
      new RegExp(`exited services holding C memory: \\d+, [^\\n]*${leaker} \\(snlua cleak\\)`),
      'said on the terminal',
    );
    const html = await readFile(join(dir, 'report.html'), 'utf8');
    const exitedTable = /<table class="skynet-exited">.*?<\/table>/s.exec(html)?.[0] ?? '';
    assert.match(exitedTable, new RegExp(`${leaker}</td><td>snlua cleak</td>`), 'the report names the exited service');
    assert.match(html, /<table class="skynet-growers">.*snlua holder/s);
    assert.match(html, /per-service reads \(<code>list<\/code>, <code>cmem<\/code>, <code>mem<\/code>\): median \d/);
  },
);
