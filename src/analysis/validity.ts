// Did the run deliver the load it asked for? Per sample and per phase: the driver's target, the players the
// bots hold, and the players the server has admitted and allocated (`loaded`: logins whose state is in the
// heap). A run that fell short beyond the tolerances below is INVALID: its numbers describe some other load,
// so no threshold may pass on it (docs/report.md, "Load validity"). Pure.

import type { Sample } from '../results/sample.js';
import type { LatencySummary, RunEvent } from '../results/layout.js';
import type { Scenario } from '../scenario/types.js';
import { messageShortfalls, phaseMessages, type PhaseMessages } from './message-load.js';
import { isWatchFolder } from './watch-folder.js';
import { maxOf, minOf } from './extremes.js';

/** The documented tolerances. */
export const VALIDITY = {
  /**
   * A sample is short when the server holds more than this fraction below the target (the lower of the
   * target now and at the sample before: one sample interval of lag is allowed, logins take a round trip) ...
   */
  shortBy: 0.05,
  /** ... and more than this many players below it (a login round trip at small counts is not a shortfall). */
  slackPlayers: 2,
  /** A phase is short when more than this share of its samples (with stats) are short. */
  shortSamples: 0.1,
  /** Client errors + connect failures above this share of message attempts. */
  errors: 0.01,
  /** Samples without allocator stats above this share of all samples. */
  missingStats: 0.1,
} as const;

export interface PhaseLoad {
  phaseIndex: number;
  phase: string;
  samples: number;
  /** Samples with the server's counts (allocator stats arrived). */
  withStats: number;
  /** Samples where the server held fewer players than the target allows (see VALIDITY). */
  short: number;
  /** Highest target of the phase, and the lowest server count / bot count seen while the target was > 0. */
  maxTarget: number;
  minServerShare: number | null;
  minBotShare: number | null;
}

export interface Validity {
  valid: boolean;
  /** Why not, one line each; empty when valid. */
  reasons: string[];
  phases: PhaseLoad[];
  /** Message attempts (answered + errors + connect failures) and failures among them. */
  attempts: number;
  failures: number;
  samplesWithoutStats: number;
  /** When the server reached its most players (ms), if that was after the target had started to fall. */
  lateLoginsAtMs: number | null;
  /** Per phase, the messages asked for and those the server handled (message-load.ts); absent in older summaries. */
  messages?: PhaseMessages[];
}

/** What the server carries in a sample: its count of loaded players; older runs only have `online`. */
export function delivered(s: Sample): number | null {
  if (s.alloc === null && !s.server) return null;
  if (typeof s.loaded === 'number') return s.loaded;
  if (s.loaded === null) return null;
  return s.online;
}

export function isShort(target: number, got: number): boolean {
  const gap = target - got;
  return gap > VALIDITY.slackPlayers && gap > VALIDITY.shortBy * target;
}

export function checkValidity(
  samples: Sample[],
  latency: Record<string, LatencySummary> | null,
  events: RunEvent[],
  variant: string,
  scenario: Scenario | null,
): Validity {
  const without = samples.filter((s) => s.alloc === null).length;
  // A watched process was asked for no load, and without the skynet console it has no allocator stats at all:
  // nothing here applies, and its `expect:` thresholds are judged on what was measured (docs/watch.md).
  if (isWatchFolder(scenario))
    return {
      valid: true,
      reasons: [],
      phases: [],
      attempts: 0,
      failures: 0,
      samplesWithoutStats: without,
      lateLoginsAtMs: null,
      messages: [],
    };
  const reasons: string[] = [];
  const nPhases = scenario?.load.phases.length ?? Infinity;
  const inRun = samples.filter((s) => s.phaseIndex >= 0 && s.phaseIndex < nPhases && s.phase !== 'done');
  // The target each sample is held to: the lower of its own and the previous sample's (one interval of lag).
  const due = new Map<Sample, number>();
  samples.forEach((s, i) => due.set(s, i > 0 ? Math.min(s.target, samples[i - 1]!.target) : s.target));
  const dueOf = (s: Sample) => due.get(s) ?? s.target;

  const byPhase = new Map<number, Sample[]>();
  for (const s of inRun) {
    let l = byPhase.get(s.phaseIndex);
    if (!l) byPhase.set(s.phaseIndex, (l = []));
    l.push(s);
  }
  const phases: PhaseLoad[] = [];
  for (const [phaseIndex, list] of [...byPhase].sort((a, b) => a[0] - b[0])) {
    const known = list.filter((s) => delivered(s) !== null);
    const loaded = known.filter((s) => s.target > 0);
    const short = loaded.filter((s) => isShort(dueOf(s), delivered(s)!));
    const botShares = list.filter((s) => s.target > 0 && typeof s.bots === 'number').map((s) => s.bots! / s.target);
    const p: PhaseLoad = {
      phaseIndex,
      phase: list[0]!.phase,
      samples: list.length,
      withStats: known.length,
      short: short.length,
      maxTarget: maxOf(
        list.map((s) => s.target),
        0,
      ),
      minServerShare: loaded.length ? minOf(loaded.map((s) => delivered(s)! / s.target)) : null,
      minBotShare: botShares.length ? minOf(botShares) : null,
    };
    phases.push(p);
    if (loaded.length > 0 && short.length > VALIDITY.shortSamples * loaded.length) {
      const worst = short.reduce((a, s) => (delivered(s)! / s.target < delivered(a)! / a.target ? s : a));
      reasons.push(
        `phase ${phaseIndex}:${p.phase}: the server held less than ${pct(1 - VALIDITY.shortBy)} of the target in ${short.length} of ${loaded.length} samples (worst ${delivered(worst)} of ${worst.target} at ${secs(worst.t)})`,
      );
    }
  }

  const { attempts, failures } = messageFailures(samples, latency, events, variant);
  if (attempts > 0 ? failures > VALIDITY.errors * attempts : failures > 0) {
    reasons.push(
      `${failures} errors and connect failures in ${attempts} message attempts (${pct(attempts ? failures / attempts : 1)}; at most ${pct(VALIDITY.errors)} allowed)`,
    );
  }

  if (samples.length > 0 && without > VALIDITY.missingStats * samples.length) {
    reasons.push(
      `${without} of ${samples.length} samples without allocator stats (the server did not answer; at most ${pct(VALIDITY.missingStats)} allowed)`,
    );
  }

  const late = lateLogins(inRun);
  if (late) reasons.push(late.reason);

  const messages = scenario ? phaseMessages(samples, scenario) : [];
  reasons.push(...messageShortfalls(messages));
  // What only the load's own clients saw (a real skynet's gate clients: lost connections, messages not forwarded).
  for (const e of events)
    if (e.type === 'error' && e.variant === variant && e.code === 'ERR_LOAD_NOT_DELIVERED') reasons.push(e.message);

  return {
    valid: reasons.length === 0,
    reasons,
    phases,
    attempts,
    failures,
    samplesWithoutStats: without,
    lateLoginsAtMs: late?.atMs ?? null,
    messages,
  };
}

/**
 * Logins that arrive after the target started to fall: from a sample whose target is below the previous one
 * until the target rises again, the server's count climbs above what it held just before the fall, by more
 * than the slack. Memory then peaks late and the settle time measures the late logins. A later ramp up (a
 * second peak) starts afresh, so it is not mistaken for late logins.
 */
function lateLogins(inRun: Sample[]): { reason: string; atMs: number } | null {
  let base: number | null = null;
  let fallAt: Sample | null = null;
  let lastKnown: number | null = null;
  let peakTarget = 0;
  for (let i = 0; i < inRun.length; i++) {
    const s = inRun[i]!;
    const prev = i > 0 ? inRun[i - 1]! : null;
    peakTarget = Math.max(peakTarget, s.target);
    if (prev && s.target > prev.target) {
      base = null;
      fallAt = null;
    } else if (prev && s.target < prev.target && base === null) {
      base = lastKnown ?? 0;
      fallAt = s;
    }
    const d = delivered(s);
    if (d === null) continue;
    if (base !== null && fallAt && d - base > VALIDITY.slackPlayers && d - base > VALIDITY.shortBy * peakTarget) {
      // Report the highest count of this falling stretch.
      let best = s;
      for (let k = i + 1; k < inRun.length && inRun[k]!.target <= inRun[k - 1]!.target; k++) {
        const dk = delivered(inRun[k]!);
        if (dk !== null && dk > delivered(best)!) best = inRun[k]!;
      }
      return {
        atMs: best.t,
        reason: `late logins: the server reached ${delivered(best)} players at ${secs(best.t)}, after the target had started to fall at ${secs(fallAt.t)} (it held ${base} then; target peak ${peakTarget})`,
      };
    }
    lastKnown = d;
  }
  return null;
}

function messageFailures(
  samples: Sample[],
  latency: Record<string, LatencySummary> | null,
  events: RunEvent[],
  variant: string,
): { attempts: number; failures: number } {
  const evErrors = events.filter((e) => e.type === 'error' && e.variant === variant).length;
  if (latency) {
    const phases = Object.values(latency);
    const failures = phases.reduce((a, p) => a + (p.errors ?? 0) + (p.connectFailures ?? 0), 0);
    const answered = phases.reduce((a, p) => a + (p.count ?? 0), 0);
    return { attempts: answered + failures, failures: failures + evErrors };
  }
  const last = [...samples].reverse().find((s) => s.server);
  const errors = last?.server?.errors ?? 0;
  return { attempts: (last?.server?.messages ?? 0) + errors, failures: errors + evErrors };
}

function pct(x: number): string {
  return `${(x * 100).toFixed(x < 0.1 && x > 0 ? 1 : 0)}%`;
}

function secs(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}
