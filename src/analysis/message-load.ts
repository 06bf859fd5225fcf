// Did the server handle the messages the scenario asked for? Per phase: the messages the server counted
// (`server.messages + server.errors` between samples) against the phase's rate times the players that were
// sending. A player sends once its think time is over, so the senders at a sample are the fewer of the players
// the server holds now and those it held `think_time` earlier (interpolated between samples), as the bots count
// them (src/driver/bots/host.ts). The server's counter is read once per sample, so messages sent just before
// a phase's last sample and handled just after it land in the next phase: up to one sample interval's worth of
// them, taken from what the next phase handled beyond its own asked, count for the phase that asked them
// (`late`). A server further behind than one interval at a phase's end, or one whose next phase does not catch
// up, is short. Checked wherever a run's samples carry the server's counters: simload's
// own runs and the skynet side of `simload fidelity` (docs/report.md, "Load validity"). Pure.

import type { Sample } from '../results/sample.js';
import type { Scenario } from '../scenario/types.js';

export const MESSAGE_LOAD = {
  /** A phase is short when the server handled more than this share fewer messages than were asked ... */
  shortBy: 0.05,
  /** ... and more than this many (a few messages in flight at a phase's edge are not a shortfall) ... */
  slackMessages: 20,
  /**
   * ... and more than this many standard deviations of a Poisson count (sd = sqrt(asked)): the exported Locust
   * users (like most load generators) send with exponential gaps, so a phase asked for 150 messages gets
   * 150 +- 12 on its own (simload's bots send the expected count per tick and hardly vary). From about 3 600
   * messages asked, 5% is the larger margin.
   */
  poissonSds: 3,
} as const;

export interface PhaseMessages {
  phaseIndex: number;
  phase: string;
  /** Messages per sending player per second. */
  rate: number;
  /** Rate times the sending players, integrated over the phase's sample intervals. */
  asked: number;
  /** Messages the server counted over the same intervals. */
  handled: number;
  /**
   * Messages counted in the next phase that this phase asked for: the least of this phase's shortfall, what the
   * next phase handled beyond its asked, and this phase's last interval's asked (one sample interval behind).
   */
  late?: number;
}

/** Players the server holds at a sample: its loaded count, else its online count (older runs, skynet). */
function players(s: Sample): number | null {
  if (typeof s.loaded === 'number') return s.loaded;
  if (s.loaded === null) return null;
  return typeof s.online === 'number' ? s.online : null;
}

function handledBy(s: Sample): number | null {
  return s.server ? s.server.messages + s.server.errors : null;
}

/** Players held at time t, linear between samples; 0 before the first sample. */
function playersAt(samples: Sample[], t: number): number | null {
  if (samples.length === 0 || t < samples[0]!.t) return 0;
  for (let i = 1; i < samples.length; i++) {
    const b = samples[i]!;
    if (b.t < t) continue;
    const a = samples[i - 1]!;
    const pa = players(a);
    const pb = players(b);
    if (pa === null || pb === null) return null;
    return b.t === a.t ? pb : pa + ((pb - pa) * (t - a.t)) / (b.t - a.t);
  }
  return players(samples.at(-1)!);
}

/** Per phase with a rate above 0 and at least one interval with counters: asked and handled. */
export function phaseMessages(samples: Sample[], scenario: Scenario): PhaseMessages[] {
  const phases = scenario.load.phases;
  const think = scenario.load.thinkTimeMs;
  const senders = (s: Sample): number | null => {
    const now = players(s);
    const then = playersAt(samples, s.t - think);
    return now === null || then === null ? null : Math.min(now, then);
  };
  const out = new Map<number, PhaseMessages & { lastAsked: number }>();
  // From one sample with counters to the next; a sample without them (the server did not answer in time) is
  // bridged, so the messages handled meanwhile still count, in the phase of the sample that closes the gap.
  let a: { t: number; handled: number; senders: number } | null = null;
  for (const b of samples) {
    const hb = handledBy(b);
    const sb = senders(b);
    if (hb === null || sb === null) continue;
    const prev = a;
    a = { t: b.t, handled: hb, senders: sb };
    const p = phases[b.phaseIndex];
    if (!prev || !p || b.phaseIndex < 0 || b.phase === 'done' || b.t <= prev.t) continue;
    const rate = p.rate ?? scenario.load.messageRate;
    if (rate <= 0) continue;
    let m = out.get(b.phaseIndex);
    if (!m)
      out.set(
        b.phaseIndex,
        (m = { phaseIndex: b.phaseIndex, phase: b.phase, rate, asked: 0, handled: 0, lastAsked: 0 }),
      );
    m.lastAsked = (rate * ((prev.senders + sb) / 2) * (b.t - prev.t)) / 1000;
    m.asked += m.lastAsked;
    m.handled += hb - prev.handled;
  }
  const sorted = [...out.values()].sort((x, y) => x.phaseIndex - y.phaseIndex);
  return sorted.map(({ lastAsked, ...m }, i) => {
    const next = sorted[i + 1];
    const late =
      next && next.phaseIndex === m.phaseIndex + 1
        ? Math.min(Math.max(0, m.asked - m.handled), Math.max(0, next.handled - next.asked), lastAsked)
        : 0;
    return late > 0 ? { ...m, late } : m;
  });
}

/** The most messages a phase may fall short by: the largest of the three margins. */
export function allowedShortfall(asked: number): number {
  return Math.max(MESSAGE_LOAD.slackMessages, MESSAGE_LOAD.shortBy * asked, MESSAGE_LOAD.poissonSds * Math.sqrt(asked));
}

export function isMessageShort(m: PhaseMessages): boolean {
  return m.asked - m.handled - (m.late ?? 0) > allowedShortfall(m.asked);
}

/** The share a phase needs, as a percentage: 95 from about 3 600 messages asked, less below (the Poisson margin). */
function neededPercent(asked: number): string {
  return String(Number(((1 - allowedShortfall(asked) / asked) * 100).toFixed(1)));
}

/** One line per short phase; empty when every phase got its messages. */
export function messageShortfalls(messages: PhaseMessages[]): string[] {
  return messages
    .filter(isMessageShort)
    .map(
      (m) =>
        `phase ${m.phaseIndex}:${m.phase}: the server handled ${Math.round(m.handled)} messages of the ${Math.round(m.asked)} asked` +
        `${m.late ? ` and ${Math.round(m.late)} just after the phase` : ''} ` +
        `(${(((m.handled + (m.late ?? 0)) / m.asked) * 100).toFixed(1)}%; ${m.rate}/s per player, at least ${neededPercent(m.asked)}% needed)`,
    );
}
