// The skynet side of the fidelity comparison, on the cached real skynet builds (npm run build:peers): the driver
// follows the plan, lands samples with jemalloc stats in a run folder `simload report` renders, the two recipes
// differ in LazyFree, and agent scripts (a user's own, bad ones) behave as the contract says. The two recipes run
// side by side, each into a folder of its own (one folder takes its skynets one after another: each driver appends
// to its files), and so do the script runs: each skynet is a process of its own with its own arenas, the loads are
// light (200 agents at 0.25 messages a second; 20 agents), and what is asserted is counts and allocator state, not
// speed.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { before, describe, test } from 'node:test';
import { runSkynet, type SkynetRunResult } from '../../src/fidelity/skynet-run.js';
import { packageRoot } from '../../src/native/paths.js';
import type { RunEvent, RunMeta } from '../../src/results/layout.js';
import type { Sample } from '../../src/results/sample.js';
import { loadScenario } from '../../src/scenario/load.js';
import type { Scenario } from '../../src/scenario/types.js';
import { needsVendor } from '../native/vendor.js';
import { simloadEach } from '../helpers/cli.js';
import { readNdjson } from '../helpers/ndjson.js';
import { liveProcesses } from '../helpers/proc.js';
import { waitFor } from '../helpers/wait.js';

const fixtures = resolve(packageRoot, 'test', 'fidelity', 'fixtures');

/** This process's children that are a skynet and have not exited. */
const skynetChildren = () =>
  liveProcesses()
    .filter((p) => p.comm === 'skynet' && p.ppid === process.pid)
    .map((p) => p.pid);
const skip = needsVendor('skynet');
const out = mkdtempSync(join(tmpdir(), 'simload-fidelity-'));
const MiB = 2 ** 20;

async function run(
  scenarioFile: string,
  script: string,
  variants?: string[],
  transport: 'driver' | 'gate' = 'driver',
): Promise<{ r: SkynetRunResult; samples: Sample[]; scenario: Scenario }> {
  const { scenario, text } = await loadScenario(join(fixtures, scenarioFile));
  const r = await runSkynet(scenario, text, {
    script: join(fixtures, script),
    outDir: out,
    transport,
    ...(variants ? { variants } : {}),
  });
  const samples = readNdjson<Sample>(join(r.dir, 'samples.ndjson'));
  return { r, samples, scenario };
}

const RECIPES = ['madv-free', 'no-madv-free'];
/** short.yaml on each recipe: a run folder per recipe, and the samples of both. */
let short: { runs: SkynetRunResult[]; samples: Sample[]; scenario: Scenario };
before(async () => {
  if (skip) return;
  const runs = await Promise.all(RECIPES.map((v) => run('short.yaml', 'bag.lua', [v])));
  short = { runs: runs.map((x) => x.r), samples: runs.flatMap((x) => x.samples), scenario: runs[0]!.scenario };
});

test(
  'skynet driver: the online count follows the plan and every sample has jemalloc stats',
  { skip, timeout: 180_000 },
  () => {
    const { samples, scenario } = short;
    for (const variant of RECIPES) {
      const mine = samples.filter((s) => s.variant === variant);
      assert.ok(mine.length >= 25, `${variant}: ${mine.length} samples for a 17 s run at 500 ms`);
      for (const s of mine) {
        assert.ok(
          s.alloc && s.alloc.allocated > 0 && s.alloc.active >= s.alloc.allocated && s.alloc.resident > 0,
          `${variant} t=${s.t}: alloc ${JSON.stringify(s.alloc)}`,
        );
        assert.ok(s.proc.rss > 0 && s.proc.vmHWM >= s.proc.rss, `${variant} t=${s.t}: proc ${JSON.stringify(s.proc)}`);
        // The per-arena figures are the real arenas only: they add up to the merged totals (counting jemalloc 5.0's
        // merged stats.arenas.<narenas> as one more arena doubled them).
        const arenas = s.alloc.arenas ?? [];
        assert.ok(
          arenas.length >= 1 && arenas.every((a) => a.arena < 4096),
          `${variant} t=${s.t}: arenas ${arenas.map((a) => a.arena).join(',')}`,
        );
        const sum = (f: 'pdirty' | 'pmuzzy') => arenas.reduce((x, a) => x + a[f], 0);
        assert.equal(sum('pdirty'), s.alloc.pdirty, `${variant} t=${s.t}: dirty pages per arena add up to the total`);
        assert.equal(sum('pmuzzy'), s.alloc.pmuzzy, `${variant} t=${s.t}: muzzy pages per arena add up to the total`);
      }
      // After each ramp (in the holds) the online count is the target within 2%.
      for (const s of mine.filter((x) => scenario.load.phases[x.phaseIndex]?.kind === 'hold')) {
        assert.ok(
          Math.abs(s.online - s.target) <= 0.02 * s.target,
          `${variant} t=${s.t} ${s.phase}: online ${s.online}, target ${s.target}`,
        );
      }
      assert.deepEqual([...new Set(mine.filter((s) => s.phase === 'hold').map((s) => s.target))], [200, 66]);
      // The runner reads skynet's CPU time from /proc as simload's recorder reads its server's: never going back,
      // and more of it while 200 agents log in than in the baseline before them.
      const cpu = mine.map((s) => s.proc.cpuMs);
      assert.ok(
        cpu.every((c, i) => c !== undefined && (i === 0 || c >= cpu[i - 1]!)),
        `${variant}: CPU times ${cpu.join(',')}`,
      );
      const last = mine.at(-1)!;
      assert.ok(last.proc.cpuMs! > cpu[0]!, `${variant}: ${cpu[0]} -> ${last.proc.cpuMs} ms of CPU`);
      assert.equal(last.server!.logins, 200);
      assert.equal(last.server!.logouts, 134);
      assert.equal(last.server!.errors, 0);
      // 0.25 msg/player/s over the plan: 125 (ramp) + 150 (hold) + ~33 (ramp-down) + 99 (hold) = ~407.
      assert.ok(
        Math.abs(last.server!.messages - 407) < 0.15 * 407,
        `${variant}: ${last.server!.messages} messages sent, ~407 planned`,
      );
      // The agents hold real state: bag.lua builds ~150 KB per player, plus the agent's Lua VM.
      const base = mine.find((s) => s.phaseIndex === -1)!.alloc!.allocated;
      const peak = Math.max(...mine.map((s) => s.alloc!.allocated));
      const perPlayer = (peak - base) / 200;
      assert.ok(
        perPlayer > 120_000 && perPlayer < 400_000,
        `${variant}: ${Math.round(perPlayer)} bytes of jemalloc per player`,
      );
    }
  },
);

test(
  'skynet driver: every sample has size classes that add up to its allocated and active',
  { skip, timeout: 60_000 },
  () => {
    const PAGE = 4096; // each large extent carries one page of padding (jemalloc's cache-oblivious layout)
    for (const s of short.samples) {
      const sc = s.alloc!.sizeClasses;
      assert.ok(sc && sc.bins.length >= 10, `${s.variant} t=${s.t}: sizeClasses ${JSON.stringify(sc)}`);
      const small = sc.bins.reduce((t, b) => t + b.regs * b.size, 0);
      const slabs = sc.bins.reduce((t, b) => t + b.slabs * b.slabSize, 0);
      assert.equal(s.alloc!.allocated, small + sc.large.allocated, `${s.variant} t=${s.t}: allocated`);
      // jemalloc refreshes its stats arena by arena while skynet's threads allocate: a slab made between the read
      // of the pages and that of the bins is in one and not the other (seen: one 28 KiB slab of the 112-byte
      // class at a baseline sample, while services started). At most one slab apart.
      const oneSlab = Math.max(...sc.bins.map((b) => b.slabSize));
      const active = slabs + sc.large.allocated + sc.large.extents * PAGE;
      assert.ok(
        Math.abs(s.alloc!.active - active) <= oneSlab,
        `${s.variant} t=${s.t}: active ${s.alloc!.active}, size classes ${active}`,
      );
    }
    // After two thirds of the players left, the bins hold most of active - allocated (partly empty slabs).
    const last = short.samples.filter((s) => s.variant === 'madv-free').at(-1)!;
    const gap = last.alloc!.active - last.alloc!.allocated;
    const binsGap = last.alloc!.sizeClasses!.bins.reduce((t, b) => t + b.slabs * b.slabSize - b.regs * b.size, 0);
    assert.ok(binsGap > 0.5 * gap, `bins ${binsGap} of active - allocated ${gap}`);
  },
);

test(
  'skynet driver: MADV_FREE keeps freed pages as LazyFree with muzzy_decay_ms:-1; the build without it never does',
  { skip, timeout: 180_000 },
  () => {
    const lazy = (v: string) => Math.max(...short.samples.filter((s) => s.variant === v).map((s) => s.proc.lazyFree));
    assert.ok(
      lazy('madv-free') > 2 * MiB,
      `madv-free: LazyFree peaked at ${lazy('madv-free')} bytes after 134 players left`,
    );
    assert.equal(lazy('no-madv-free'), 0);
  },
);

test('skynet driver: `simload report` renders the run folders unchanged', { skip, timeout: 60_000 }, async () => {
  const reports = await simloadEach(short.runs.map(({ dir }) => ['report', dir, '--json']));
  const variants = short.runs.flatMap(({ dir }, i) => {
    const r = reports[i]!;
    assert.equal(r.code, 0, r.stderr);
    const summary = JSON.parse(r.stdout) as {
      status: string;
      variants: { variant: string; peakOnline: number; allocKind: string; settledRss: number | null }[];
    };
    assert.equal(summary.status, 'complete');
    assert.ok(existsSync(join(dir, 'report.html')) && existsSync(join(dir, 'chart.svg')), dir);
    // Ended by its session without a verdict: the pair's table judges it, so run.json records no validity.
    const meta = JSON.parse(readFileSync(join(dir, 'run.json'), 'utf8')) as RunMeta;
    assert.equal(meta.status, 'complete');
    assert.ok(meta.endedAt);
    assert.equal(meta.validity, undefined);
    return summary.variants;
  });
  assert.deepEqual(
    variants.map((v) => [v.variant, v.peakOnline, v.allocKind]),
    [
      ['madv-free', 200, 'jemalloc'],
      ['no-madv-free', 200, 'jemalloc'],
    ],
  );
  assert.ok(variants.every((v) => v.settledRss !== null && v.settledRss > 0));
});

test(
  'skynet side: an interrupt ends its folder as a run does: exit 130, run.json interrupted, the report of what was recorded',
  { skip, timeout: 120_000 },
  async () => {
    const { scenario, text } = await loadScenario(join(fixtures, 'short.yaml'));
    const base = mkdtempSync(join(out, 'interrupted-'));
    const ctl = new AbortController();
    const running = runSkynet(scenario, text, {
      script: join(fixtures, 'bag.lua'),
      outDir: base,
      transport: 'driver',
      variants: ['madv-free'],
      signal: ctl.signal,
    });
    let dir = '';
    await waitFor(
      'three samples from the skynet',
      () => {
        const name = readdirSync(base)[0];
        dir = name ? join(base, name) : '';
        return (
          dir !== '' &&
          existsSync(join(dir, 'samples.ndjson')) &&
          readNdjson(join(dir, 'samples.ndjson'), { torn: true }).length >= 3
        );
      },
      90_000,
      100,
    );
    ctl.abort('SIGINT');
    await assert.rejects(running, (e: Error & { code?: string; exitCode?: number }) => {
      assert.equal(e.code, 'ERR_INTERRUPTED');
      assert.equal(e.exitCode, 130);
      assert.ok(e.message.endsWith(`results so far: ${dir}`), e.message);
      return true;
    });
    const meta = JSON.parse(readFileSync(join(dir, 'run.json'), 'utf8')) as RunMeta;
    assert.equal(meta.status, 'interrupted');
    assert.ok(meta.endedAt);
    const events = readNdjson<RunEvent>(join(dir, 'events.ndjson'));
    assert.ok(events.some((e) => e.type === 'interrupted' && e.signal === 'SIGINT'));
    assert.ok(events.some((e) => e.type === 'variant-end' && e.variant === 'madv-free'));
    assert.ok(readNdjson<Sample>(join(dir, 'samples.ndjson'), { torn: true }).length >= 3);
    assert.ok(existsSync(join(dir, 'summary.json')) && existsSync(join(dir, 'report.html')), 'the report is drawn');
    assert.deepEqual(skynetChildren(), [], 'no skynet left running');
  },
);

// Four small skynets side by side (20 agents each; the bad scripts stop before the ramp).
describe('skynet driver: agent scripts', { concurrency: true }, () => {
  test("skynet driver: a user's own script runs unchanged", { skip, timeout: 60_000 }, async () => {
    const { samples } = await run('tiny.yaml', 'user-agent.lua');
    const last = samples.at(-1)!;
    assert.equal(last.phase, 'done');
    assert.deepEqual([last.server!.logins, last.server!.logouts, last.server!.errors], [20, 10, 0]);
    assert.ok(last.server!.messages > 60, `${last.server!.messages} messages`);
  });

  test(
    'skynet driver: a handler that errors or runs away is counted and the others go on',
    { skip, timeout: 60_000 },
    async () => {
      const { r, samples } = await run('tiny.yaml', 'handler-error.lua');
      const last = samples.at(-1)!;
      const m = last.server!.messages;
      // Every fifth message of each player fails, and player 1's third message is stopped by the instruction limit.
      assert.equal(last.server!.logins, 20);
      assert.ok(
        last.server!.errors >= 1 + Math.floor(m / 5) - 20 && last.server!.errors <= 1 + Math.ceil(m / 5) + 20,
        `${last.server!.errors} errors of ${m} messages`,
      );
      assert.equal(last.phase, 'done');
      // The runaway is logged even when ordinary errors came first (it holds a worker for its whole budget).
      const log = readFileSync(join(r.dir, 'skynet-madv-free.log'), 'utf8');
      assert.match(log, /player 1: .*handler-error\.lua:\d+: handler stopped after 50000000 instructions/);
      // A script that catches every stop is stopped where its pcall returns (it ran forever before the guard).
      assert.match(
        log,
        /player 2: .*handler-error\.lua:8: handler stopped after 50000000 instructions \(the script caught the stop and ran on\)/,
      );
    },
  );

  test(
    "skynet driver: every arena's decay ticks are counted, never go back, and a large string per message moves them by at least one per message",
    { skip, timeout: 60_000 },
    async () => {
      const { samples } = await run('tiny.yaml', 'large-strings.lua');
      const xs = samples.filter((s) => s.alloc?.arenas?.length).sort((a, b) => a.t - b.t);
      assert.ok(xs.length >= 5, `${xs.length} samples with arenas`);
      const prev = new Map<number, number>();
      for (const s of xs) {
        for (const a of s.alloc!.arenas!) {
          assert.ok(
            Number.isInteger(a.decayTicks) && a.decayTicks! >= (prev.get(a.arena) ?? 0),
            `t=${s.t} arena ${a.arena}: ${a.decayTicks}`,
          );
          prev.set(a.arena, a.decayTicks!);
        }
      }
      const total = (s: Sample) => s.alloc!.arenas!.reduce((n, a) => n + a.decayTicks!, 0);
      const messages = xs.at(-1)!.server!.messages - xs[0]!.server!.messages;
      assert.ok(messages > 40, `${messages} messages`);
      // One large allocation per message at least (large.nmalloc); the frees come when the collector runs.
      const ticks = total(xs.at(-1)!) - total(xs[0]!);
      assert.ok(ticks >= messages, `${ticks} decay ticks over ${messages} messages`);
    },
  );

  test(
    "skynet driver, gate transport: in a hold where no player sends, the driver's clock and sampling tick the arenas little",
    { skip, timeout: 60_000 },
    async () => {
      const { samples } = await run('quiet-gate.yaml', 'bag.lua', undefined, 'gate');
      // From the hold's second second to its end: the logins' tail is over, nothing is sent.
      const hold = samples.filter((s) => s.phaseIndex === 1 && s.alloc?.arenas?.length).sort((a, b) => a.t - b.t);
      const xs = hold.filter((s) => s.t >= hold[0]!.t + 1000);
      assert.ok(xs.length >= 10, `${xs.length} samples in the silent hold`);
      const first = xs[0]!;
      const last = xs.at(-1)!;
      assert.equal(last.server!.messages, first.server!.messages, 'no packet was forwarded in the hold');
      const total = (s: Sample) => s.alloc!.arenas!.reduce((n, a) => n + a.decayTicks!, 0);
      const perSecond = ((total(last) - total(first)) * 1000) / (last.t - first.t);
      // Measured 36-52 a second (two samples a second: the files read, the lines written, the gate asked for its
      // count); with the phase clock ticking every 10 ms (a timer allocated on the driver's worker and freed by
      // skynet's timer thread per tick, and the coroutine switch), 133.
      assert.ok(perSecond < 90, `${perSecond.toFixed(0)} decay ticks a second with nothing sent`);
    },
  );

  for (const [script, pattern] of [
    ['bad-syntax.lua', /bad-syntax\.lua:2: unexpected symbol near '='/],
    ['uses-io.lua', /uses-io\.lua:2: attempt to index a nil value \(global 'io'\)/],
  ] as const) {
    test(
      `skynet driver: ${script} is a clear error before the ramp, with the script's file:line`,
      { skip, timeout: 60_000 },
      async () => {
        await assert.rejects(run('tiny.yaml', script), (e: Error & { code?: string; exitCode?: number }) => {
          assert.equal(e.code, 'ERR_AGENT_SCRIPT');
          assert.equal(e.exitCode, 2);
          assert.match(e.message, pattern);
          return true;
        });
      },
    );
  }
});

test(
  'fidelity table: a skynet run compared with itself gives ratio 1 and meets the targets',
  { skip, timeout: 60_000 },
  async () => {
    const { compareFidelity } = await import('../../src/fidelity/compare.js');
    const { formatFidelity } = await import('../../src/report/fidelity-table.js');
    const { loadRun } = await import('../../src/analysis/load.js');
    const { summarize } = await import('../../src/analysis/summary.js');
    const runs = await Promise.all(short.runs.map((r) => loadRun(r.dir)));
    const pairs = runs.flatMap((run) => compareFidelity(run, run).map((t) => ({ t, run })));
    const tables = pairs.map((p) => p.t);
    assert.deepEqual(
      tables.map((t) => t.variant),
      ['madv-free', 'no-madv-free'],
    );
    for (const t of tables) {
      const jem = t.rows.find((r) => r.metric === 'peak jemalloc-side Rss')!;
      // skynet's outside-jemalloc part is its baseline Rss - resident, about zero: nearly all its Rss is jemalloc's
      // (measured -1.6 to -3.5 MiB: jemalloc's resident counts a few pages the process has not touched yet).
      const peakRss = t.rows.find((r) => r.metric === 'peak Rss')!.skynet!;
      assert.ok(
        jem.skynet! > 30 * MiB && Math.abs(jem.skynet! - peakRss) < Math.max(0.05 * peakRss, 8 * MiB),
        `${t.variant}: jemalloc-side peak ${jem.skynet}, peak Rss ${peakRss}`,
      );
      for (const r of t.rows) {
        // The "simload" side takes outside-jemalloc from the breakdown's rest, the skynet side from its baseline,
        // so only the jemalloc-side rows may differ when one skynet folder is on both sides.
        if (r.metric.includes('jemalloc-side')) continue;
        if (r.ratio !== null) assert.equal(r.ratio, 1, `${t.variant} ${r.metric}`);
        if (r.target) assert.equal(r.pass, true, `${t.variant} ${r.metric}`);
      }
    }
    for (const t of tables) {
      assert.ok(
        t.sizeClasses && t.sizeClasses.rows.length >= 5,
        `${t.variant}: size classes ${JSON.stringify(t.sizeClasses)}`,
      );
      for (const r of t.sizeClasses.rows) if (r.skynet > 0) assert.equal(r.ratio, 1, `${t.variant} class ${r.size}`);
    }
    for (const { t, run } of pairs) {
      const row = (m: string) => t.rows.find((r) => r.metric === m)!;
      // CPU from the folder's own samples: what the server used from the first sample to the last.
      const mine = run.samples
        .filter((s) => s.variant === t.variant && s.alloc && s.proc.cpuMs !== undefined)
        .sort((a, b) => a.t - b.t);
      assert.equal(row('server CPU (whole run)').skynet, mine.at(-1)!.proc.cpuMs! - mine[0]!.proc.cpuMs!);
      for (const m of ['server CPU per 1 000 messages', 'server CPU per login']) {
        assert.ok(row(m).skynet! > 0 && row(m).ratio === 1, `${t.variant} ${m}: ${row(m).skynet}`);
      }
      // The growth rows read the summary's own baseline, peak and settled Rss.
      const v = summarize(run).variants.find((x) => x.variant === t.variant)!;
      const growth = row('process Rss growth at the peak');
      assert.deepEqual(
        [growth.skynet, row('process Rss growth at settle').skynet],
        [v.peakRss - v.baselineRss, v.settledRss! - v.baselineRss],
      );
      assert.ok(
        growth.skynet! > 20 * MiB && growth.pass === true && row('process Rss growth at settle').pass === true,
        `${t.variant}: growth ${growth.skynet}`,
      );
    }
    assert.equal(tables[0]!.lazyFree.skynet, 'held to the end');
    assert.equal(tables[1]!.lazyFree.skynet, 'none');
    assert.match(formatFidelity(tables, 'x'), /active - allocated at settle .* 1\.00 {2}ok \(within 25%\)/);
  },
);
