// Decay ticks per arena over a hold, on hand-made samples (exact numbers): ticks, purges and dirty at the end per
// arena, ticks per message, an arena first seen inside the hold, older samples without the counter; and how the
// fidelity table and the report's decay panel show them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ArenaDecay } from '../../src/alloc/stats.js';
import type { Sample } from '../../src/results/sample.js';
import { holdTicks, purgedArenas, ticksPerMessage } from '../../src/analysis/decay-ticks.js';
import { decaySummary } from '../../src/analysis/decay.js';
import { quietArenaTicks, quietTickRows } from '../../src/analysis/fidelity-quiet.js';
import { arenaTickLines } from '../../src/report/fidelity-table.js';
import { renderDecaySection } from '../../src/report/decay-section.js';
import type { RunData } from '../../src/analysis/load.js';
import type { Summary, VariantSummary } from '../../src/analysis/summary.js';
import { arenaStats, dirtyStats, finalHold, holdSample } from '../helpers/sample.js';

const MiB = 2 ** 20;

const arena = (i: number, pdirty: number, dirtyNpurge: number, decayTicks?: number): ArenaDecay =>
  arenaStats(i, pdirty, dirtyNpurge, decayTicks === undefined ? {} : { decayTicks });
function sample(t: number, messages: number, arenas: ArenaDecay[]): Sample {
  const pdirty = arenas.reduce((n, a) => n + a.pdirty, 0);
  return holdSample(t, {
    alloc: dirtyStats(pdirty, arenas, '5.0.1-0-gx'),
    server: { messages, errors: 0, logins: 0, logouts: 0 },
  });
}

// Arena 0 busy (1 500 ticks, purged twice), arena 1 quiet (40 ticks, kept its 12 MiB), arena 2 appears mid-hold.
const hold = [
  sample(10_000, 1000, [arena(0, 20 * MiB, 5, 10_000), arena(1, 12 * MiB, 3, 7_000)]),
  sample(11_000, 1050, [arena(0, 8 * MiB, 6, 10_700), arena(1, 12 * MiB, 3, 7_020)]),
  sample(12_000, 1100, [arena(0, 1 * MiB, 7, 11_500), arena(1, 12 * MiB, 3, 7_040), arena(2, 0, 0, 30)]),
];

test('hold ticks: per arena ticks, purges and dirty at the end; ticks per message; arenas that purged', () => {
  const h = holdTicks([...hold].reverse())!;
  assert.deepEqual(h, {
    fromMs: 10_000,
    toMs: 12_000,
    messages: 100,
    arenas: [
      { arena: 0, ticks: 1500, purges: 2, dirtyEnd: 1 * MiB, muzzyEnd: 0 },
      { arena: 1, ticks: 40, purges: 0, dirtyEnd: 12 * MiB, muzzyEnd: 0 },
      { arena: 2, ticks: 30, purges: 0, dirtyEnd: 0, muzzyEnd: 0 },
    ],
  });
  assert.equal(ticksPerMessage(h), 1570 / 100);
  assert.equal(purgedArenas(h), 1);
  assert.equal(ticksPerMessage(null), null);
  assert.equal(ticksPerMessage({ ...h, messages: null }), null);
});

test('hold ticks: samples without the counter (older runs) or fewer than two give null; the summary carries it', () => {
  const old = hold.map((s) =>
    sample(
      s.t,
      s.server!.messages,
      s.alloc!.arenas!.map((a) => arena(a.arena, a.pdirty, a.dirtyNpurge)),
    ),
  );
  assert.equal(holdTicks(old), null);
  assert.equal(holdTicks(hold.slice(0, 1)), null);
  assert.equal(decaySummary(old, 9_000, finalHold(old, 10_000, 12_000))!.holdTicks, null);
  assert.deepEqual(decaySummary(hold, 9_000, finalHold(hold, 10_000, 12_000))!.holdTicks, holdTicks(hold));
  assert.equal(decaySummary(hold, 9_000, null)!.holdTicks, null);
});

test('quiet night: ticks per message and arenas purged each side, and the arena table side by side', () => {
  const sim = { variant: 'madv-free', decay: { holdTicks: holdTicks(hold) } } as unknown as VariantSummary;
  const skyHold = holdTicks(hold.slice(0, 2))!;
  const sky = { variant: 'madv-free', decay: { holdTicks: skyHold } } as unknown as VariantSummary;
  const rows = quietTickRows(sim, sky);
  assert.deepEqual(
    rows.map((r) => [r.metric, r.simload, r.skynet, r.target, r.spread]),
    [
      ['decay ticks per message in the quiet hold', 15.7, 720 / 50, undefined, true],
      ['arenas that purged in the quiet hold', 1, 1, undefined, true],
    ],
  );
  const none = { variant: 'x' } as unknown as VariantSummary;
  assert.deepEqual(quietTickRows(none, none), []);
  assert.equal(quietArenaTicks(none, none), null);
  const both = quietArenaTicks(sim, sky)!;
  const lines = arenaTickLines('madv-free', both);
  assert.match(lines[0]!, /simload 2 s, 100 messages; skynet 1 s, 50 messages/);
  // the title, the header, the rule, then one row per arena index: arena 2 only on simload's side.
  assert.equal(lines.length, 3 + 3);
  assert.deepEqual(lines[4]!.trim().split(/\s{2,}/), [
    '1',
    '40',
    '0.40',
    '0',
    '12.0 MiB',
    '1',
    '20',
    '0.40',
    '0',
    '12.0 MiB',
  ]);
  assert.deepEqual(lines[5]!.trim().split(/\s{2,}/), ['2', '30', '0.30', '0', '0 B']);
  assert.match(arenaTickLines('v', { simload: null, skynet: skyHold })[0]!, /simload not counted/);
});

test("the report's decay panel gives each arena's ticks and purges over the final hold; without the counter, no such columns", () => {
  const panel = (samples: Sample[]) => {
    const decay = decaySummary(samples, 9_000, finalHold(samples, 10_000, 12_000));
    const run = { meta: null, samples } as unknown as RunData;
    return renderDecaySection(run, { variants: [{ variant: 'x', decay }] } as unknown as Summary)!.html;
  };
  const html = panel(hold);
  assert.match(html, /decay ticks in the final hold \(2\.0s, 100 messages\)/);
  assert.match(html, /<th>decay ticks \(final hold\)<\/th><th>purges \(final hold\)<\/th>/);
  assert.match(html, /<tr><td>0<\/td>.*?<td>1500<\/td><td>2<\/td><\/tr>/);
  assert.match(html, /<tr><td>1<\/td>.*?<td>40<\/td><td>0<\/td><\/tr>/);
  const old = hold.map((s) =>
    sample(
      s.t,
      s.server!.messages,
      s.alloc!.arenas!.map((a) => arena(a.arena, a.pdirty, a.dirtyNpurge)),
    ),
  );
  assert.doesNotMatch(panel(old), /decay ticks/);
});
