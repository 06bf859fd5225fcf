// The message check on hand-made samples: a delivered hold and ramp pass, a 10% shortfall fails, the think time
// is taken from the senders, the slack covers a few messages and a small phase's random count, phases without
// counters or rate are not judged.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Sample } from '../../src/results/sample.js';
import type { Scenario } from '../../src/scenario/types.js';
import { allowedShortfall, messageShortfalls, phaseMessages } from '../../src/analysis/message-load.js';
import { checkValidity } from '../../src/analysis/validity.js';

const scenario = (rate: number, thinkTimeMs: number, phaseRates: (number | undefined)[] = [undefined, undefined]) =>
  ({
    load: {
      messageRate: rate,
      thinkTimeMs,
      phases: phaseRates.map((r) => ({ kind: 'hold', durationMs: 10_000, rate: r })),
    },
  }) as unknown as Scenario;

const mk = (t: number, phaseIndex: number, players: number, messages: number | null): Sample =>
  ({
    v: 1,
    variant: 'x',
    t: t * 1000,
    wall: t,
    phaseIndex,
    phase: phaseIndex < 0 ? 'baseline' : 'hold',
    target: players,
    online: players,
    loaded: players,
    proc: { rss: 1, lazyFree: 0, anonymous: 0, anonHugePages: 0, vmHWM: 0 },
    alloc: { allocated: 1, active: 1, metadata: 0, resident: 1, mapped: 1, retained: 0, pdirty: 0, pmuzzy: 0 },
    runtime: null,
    ...(messages === null ? {} : { server: { messages, errors: 0, logins: players, logouts: 0 } }),
  }) as Sample;

/** 1 000 players held from t=0 for 10 s at `perSecond` handled messages. */
const hold = (perSecond: number) => [
  mk(-1, -1, 1000, 0),
  ...Array.from({ length: 11 }, (_, i) => mk(i, 0, 1000, 250 + perSecond * i)),
];

test('a hold that got its rate passes; 10% short fails with the counts', () => {
  const s = scenario(0.25, 0);
  const ok = phaseMessages(hold(250), s);
  assert.equal(ok.length, 1);
  assert.equal(ok[0]!.handled, 2750, "the baseline-to-hold interval is the phase's too");
  assert.ok(Math.abs(ok[0]!.asked - 2750) < 1e-6);
  assert.deepEqual(messageShortfalls(ok), []);
  const short = messageShortfalls(phaseMessages(hold(225), s));
  assert.equal(short.length, 1);
  assert.match(
    short[0]!,
    /^phase 0:hold: the server handled 2500 messages of the 2750 asked \(90\.9%; 0\.25\/s per player, at least 94\.3% needed\)$/,
  );
  // 96% is within the 5% (and 2 750 asked allow 3 sd, 157, the larger margin).
  assert.deepEqual(messageShortfalls(phaseMessages(hold(240), s)), []);
});

test('a small phase gets the room of a random (Poisson) count: 3 standard deviations', () => {
  // 60 players for 10 s at 0.25/s: 150 asked; Locust users send with exponential gaps: 150 +- 12 on their own.
  const small = (handled: number) => ({ phaseIndex: 1, phase: 'hold', rate: 0.25, asked: 150, handled });
  assert.equal(allowedShortfall(150), 3 * Math.sqrt(150));
  assert.deepEqual(messageShortfalls([small(125)]), [], '25 short (17%) is within 3 sd (36.7)');
  assert.deepEqual(messageShortfalls([small(110)]), [
    'phase 1:hold: the server handled 110 messages of the 150 asked (73.3%; 0.25/s per player, at least 75.5% needed)',
  ]);
  // Large phases keep the 5%: 3 sd of 30 000 is 520 (1.7%).
  assert.equal(allowedShortfall(30_000), 1500);
  assert.equal(allowedShortfall(10), 20, 'and a tiny one the 20 messages');
});

test('messages handled just after a phase count for it: one sample interval at most, and only what the next phase caught up', () => {
  // 1 000 players at 0.25/s: 250 asked per 1 s interval. Phase 0 (t 1..10) is handled at `first`/s, phase 1
  // (t 11..20) at `second`/s; the baseline-to-phase interval (250) is phase 0's.
  const s = scenario(0.25, 0);
  const run = (first: number, second: number) => {
    const out = [mk(-1, -1, 1000, 0), mk(0, 0, 1000, 250)];
    for (let t = 1; t <= 10; t++) out.push(mk(t, 0, 1000, 250 + first * t));
    for (let t = 11; t <= 20; t++) out.push(mk(t, 1, 1000, 250 + first * 10 + second * (t - 10)));
    return phaseMessages(out, s);
  };
  // 225/s then 250/s: phase 1 handled only its own, so phase 0's 250 short were not late, they were not handled.
  assert.deepEqual(messageShortfalls(run(225, 250)).length, 1);
  // 225/s then 275/s: the 250 came right after; one interval (250 asked) covers them.
  const caught = run(225, 275);
  assert.equal(caught[0]!.late, 250);
  assert.equal(caught[1]!.late, undefined);
  assert.deepEqual(messageShortfalls(caught), []);
  // 200/s then 300/s: 500 behind at the phase's end, two intervals' worth: only 250 count, 250 short remain.
  const behind = run(200, 300);
  assert.equal(behind[0]!.late, 250);
  assert.deepEqual(messageShortfalls(behind), [
    'phase 0:hold: the server handled 2250 messages of the 2750 asked and 250 just after the phase (90.9%; 0.25/s per player, at least 94.3% needed)',
  ]);
});

test('players still in their think time are not counted as senders', () => {
  // A ramp of 100 players a second from 0; each sends 1/s once its 2 s think time is over, so the server gets
  // the count of 2 s before: 0, 0, 0, 100, 200, ... (a trapezoid between samples).
  const samples = [mk(0, 0, 0, 0)];
  let handled = 0;
  for (let t = 1; t <= 10; t++) {
    handled += (Math.max(0, t - 3) * 100 + Math.max(0, t - 2) * 100) / 2;
    samples.push(mk(t, 0, 100 * t, handled));
  }
  const [m] = phaseMessages(samples, scenario(1, 2000));
  assert.ok(Math.abs(m!.asked - handled) < 1e-6, `asked ${m!.asked}, handled ${handled}`);
  // Without the think time the same run would read as 20% short.
  const [noThink] = phaseMessages(samples, scenario(1, 0));
  assert.ok(noThink!.asked > 1.2 * handled);
});

test('a few messages are within the slack; a phase with rate 0 or without counters is not judged', () => {
  const tiny = [mk(0, 0, 10, 0), mk(1, 0, 10, 10), mk(2, 0, 10, 10), mk(3, 0, 10, 10)];
  const [m] = phaseMessages(tiny, scenario(1, 0));
  assert.equal(m!.asked, 30);
  assert.equal(m!.handled, 10);
  assert.deepEqual(messageShortfalls([m!]), [], '20 messages short is within the slack');
  assert.deepEqual(phaseMessages(hold(0), scenario(0.25, 0, [0, 0])), [], 'rate 0');
  assert.deepEqual(
    phaseMessages(
      hold(0).map((x) => ({ ...x, server: undefined })),
      scenario(0.25, 0),
    ),
    [],
    'no counters (a watch)',
  );
});

test('checkValidity makes a run short of messages INVALID and keeps the per-phase counts', () => {
  const v = checkValidity(hold(200), null, [], 'x', scenario(0.25, 0));
  assert.equal(v.valid, false);
  assert.match(v.reasons.join('\n'), /phase 0:hold: the server handled 2250 messages of the 2750 asked/);
  assert.equal(v.messages?.[0]?.handled, 2250);
  assert.equal(checkValidity(hold(250), null, [], 'x', scenario(0.25, 0)).valid, true);
});

test('a sample without counters is bridged: the messages handled across the gap still count', () => {
  const gap = hold(250).map((x, i) => (i === 5 ? { ...x, server: undefined } : x));
  const [m] = phaseMessages(gap, scenario(0.25, 0));
  assert.equal(m!.handled, 2750);
  assert.ok(Math.abs(m!.asked - 2750) < 1e-6);
});
