// A server's CPU cost from one variant's samples (proc.cpuMs: utime + stime of every thread, from /proc/PID/stat;
// server.messages and server.logins: the server's own counters), the same way on both sides of the comparison. Pure.
//
// Per message: the CPU of the holds (no logins or logouts there) over the messages handled in them, so idle
// work (timers, the recorder's reads) is part of the cost, as it is of a real server's.
// Per login: the CPU of the ramps up beyond what their messages cost at the holds' rate, over their logins.
import type { Sample } from '../results/sample.js';

export interface CpuFigures {
  /** CPU from the first sample to the last, ms. */
  totalMs: number;
  /** CPU per 1 000 messages in the holds, ms; null without a hold that handled messages. */
  perThousandMessagesMs: number | null;
  /** CPU per login in the ramps up, ms; null without logins (or without a per-message figure to take off). */
  perLoginMs: number | null;
  /** What the figures were taken over: messages in the holds, logins in the ramps up. */
  holdMessages: number;
  rampLogins: number;
}

interface Counted {
  t: number;
  phaseIndex: number;
  phase: string;
  cpu: number;
  messages: number;
  logins: number;
  logouts: number;
}

/** Null when the samples carry no CPU times (recorded before proc.cpuMs, or by a reader without it). */
export function cpuFigures(samples: Sample[]): CpuFigures | null {
  const xs: Counted[] = samples
    .filter((s) => s.proc.cpuMs !== undefined && s.server !== undefined)
    .map((s) => ({
      t: s.t,
      phaseIndex: s.phaseIndex,
      phase: s.phase,
      cpu: s.proc.cpuMs!,
      messages: s.server!.messages,
      logins: s.server!.logins,
      logouts: s.server!.logouts,
    }))
    .sort((a, b) => a.t - b.t);
  if (xs.length < 2) return null;
  const hold = { cpu: 0, messages: 0 };
  const ramp = { cpu: 0, messages: 0, logins: 0 };
  for (let i = 1; i < xs.length; i++) {
    const a = xs[i - 1]!;
    const b = xs[i]!;
    if (a.phaseIndex !== b.phaseIndex) continue; // an interval across a phase change belongs to neither
    const d = {
      cpu: b.cpu - a.cpu,
      messages: b.messages - a.messages,
      logins: b.logins - a.logins,
      logouts: b.logouts - a.logouts,
    };
    if (b.phase === 'hold' && d.logins === 0 && d.logouts === 0) {
      hold.cpu += d.cpu;
      hold.messages += d.messages;
    } else if (b.phase === 'ramp' && d.logins > 0 && d.logouts === 0) {
      ramp.cpu += d.cpu;
      ramp.messages += d.messages;
      ramp.logins += d.logins;
    }
  }
  const perMessage = hold.messages > 0 ? hold.cpu / hold.messages : null;
  return {
    totalMs: xs.at(-1)!.cpu - xs[0]!.cpu,
    perThousandMessagesMs: perMessage === null ? null : perMessage * 1000,
    perLoginMs:
      perMessage !== null && ramp.logins > 0 ? Math.max(0, ramp.cpu - ramp.messages * perMessage) / ramp.logins : null,
    holdMessages: hold.messages,
    rampLogins: ramp.logins,
  };
}
