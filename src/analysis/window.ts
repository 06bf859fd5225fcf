// A window of a run folder for `simload report DIR --from T --to T`: each bound is an ISO time, `+D` (or `D`)
// after the first sample, or `-D` before the last; both resolve to sample time `t` (ms since the start). The
// report of a window reads only its samples (load.ts) and its events. Pure but for finding the folder's span.

import { join } from 'node:path';
import { UsageError } from '../errors.js';
import { RESULT_FILES, type RunEvent } from '../results/layout.js';
import { lastLine } from '../results/reopen.js';
import type { Sample } from '../results/sample.js';
import { formatDuration, parseDuration } from '../units.js';

export type WindowBound = { kind: 'wall'; ms: number } | { kind: 'start' | 'end'; ms: number };

export interface ReportWindow {
  /** Sample times (ms since the start) the window keeps, both included. */
  fromMs: number;
  toMs: number;
  /** The bounds as given (`--from`, `--to`), null when open. */
  from: string | null;
  to: string | null;
}

/** `2026-12-07T10:00:00Z`, `+30m`, `30m`, `-2h`; null when none of these. */
export function parseWindowBound(text: string): WindowBound | null {
  const s = text.trim();
  const m = /^([+-]?)(\S+)$/.exec(s);
  if (m && /^\d/.test(m[2]!) && !/^\d{4}-\d{2}-\d{2}/.test(m[2]!)) {
    const ms = parseDuration(m[2]!);
    if (ms !== null) return { kind: m[1] === '-' ? 'end' : 'start', ms };
  }
  if (/^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}/.test(s)) {
    const wall = Date.parse(s);
    if (Number.isFinite(wall)) return { kind: 'wall', ms: wall };
  }
  return null;
}

/** The folder's last sample: its `t` and the wall time of `t = 0`, from the end of samples.ndjson. */
export async function folderSpan(dir: string): Promise<{ endMs: number; startWall: number } | null> {
  const line = await lastLine(join(dir, RESULT_FILES.samples));
  if (line === null) return null;
  try {
    const s = JSON.parse(line) as Partial<Sample>;
    return typeof s.t === 'number' && typeof s.wall === 'number' ? { endMs: s.t, startWall: s.wall - s.t } : null;
  } catch {
    return null;
  }
}

/** `--from`/`--to` as sample times; a usage error (exit 2) saying which flag and why. */
export async function resolveWindow(dir: string, from: string | null, to: string | null): Promise<ReportWindow> {
  const parse = (flag: string, text: string | null): WindowBound | null => {
    if (text === null) return null;
    const b = parseWindowBound(text);
    if (!b)
      throw new UsageError(
        'ERR_USAGE',
        `--${flag} ${text}: give an ISO time (2026-12-07T10:00:00Z), +DURATION after the start or -DURATION before the end (e.g. +30m, -2h)`,
      );
    return b;
  };
  const f = parse('from', from);
  const t = parse('to', to);
  const span = await folderSpan(dir);
  if (!span)
    throw new UsageError(
      'ERR_NO_RUN',
      `${dir}: no readable last sample in ${RESULT_FILES.samples}, so no window can be placed`,
    );
  const at = (b: WindowBound | null, open: number) =>
    b === null ? open : b.kind === 'start' ? b.ms : b.kind === 'end' ? span.endMs - b.ms : b.ms - span.startWall;
  const w: ReportWindow = { fromMs: at(f, -Infinity), toMs: at(t, Infinity), from, to };
  if (w.fromMs > w.toMs)
    throw new UsageError(
      'ERR_USAGE',
      `--from ${from} --to ${to}: the window ends (${formatDuration(w.toMs)}) before it starts (${formatDuration(w.fromMs)})`,
    );
  return w;
}

export function inWindow(w: ReportWindow): (s: Sample) => boolean {
  return (s) => s.t >= w.fromMs && s.t <= w.toMs;
}

/** The events of the window: phase marks by their time, the others by their wall time. */
export function windowEvents(events: RunEvent[], w: ReportWindow, startWall: number): RunEvent[] {
  return events.filter((e) => {
    if (e.type === 'variant-start') return true;
    const t = e.type === 'phase' ? e.t : e.wall - startWall;
    return t >= w.fromMs && t <= w.toMs;
  });
}

/** The folder a window's report goes to, inside the run folder: `window-<from>s-<to>s` in seconds. */
export function windowFolderName(w: ReportWindow, samples: readonly Sample[]): string {
  const first = samples.reduce((m, s) => Math.min(m, s.t), Infinity);
  const last = samples.reduce((m, s) => Math.max(m, s.t), -Infinity);
  const s = (ms: number) => String(Math.round(ms / 1000));
  return `window-${s(Number.isFinite(w.fromMs) ? w.fromMs : first)}s-${s(Number.isFinite(w.toMs) ? w.toMs : last)}s`;
}
