// `simload serve --record`: the server runs for bots simload does not drive (a Locust swarm, docs/distributed.md)
// and is recorded into a run folder of the same format as `simload run`'s, so report, `expect:` and compare
// work on it and the run is judged like any run (load validity against the scenario's targets).
//
// The clocks: sample times `t` count from the server's start, as in a run. Until the first login the server is
// in its baseline; the scenario's phases start at the first login (seen within LOGIN_POLL_MS) and each sample
// carries the target the driver's shapes give for that moment (export/schedule.ts). A sample is labelled when
// it starts, and its answer can show a login the poll has not reported yet: such a sample is phase 0, never
// baseline (firstPhase below), so the baseline holds no player. The recording ends when the phases end (a last
// sample, a `done` phase, then the session's end: report and verdict); the server keeps serving until its
// players have left, so a swarm that outlives the phases by a few seconds does not see the server vanish.

import type { Writable } from 'node:stream';
import { sleep } from '../driver/engine.js';
import { SimloadError } from '../errors.js';
import { timeline, phaseAt } from '../export/schedule.js';
import type { PhaseState, Relabel } from '../recorder/recorder.js';
import type { Scenario } from '../scenario/types.js';
import type { ServerHandle } from '../server/launch.js';
import type { VariantOptions } from '../alloc/options.js';
import { RunSession } from '../session/session.js';
import { formatDuration } from '../units.js';
import { verdictOf } from '../verdict.js';
import type { LiveOutputs } from '../live/outputs.js';

/** How often the server is asked whether the first player has logged in, ms. */
export const LOGIN_POLL_MS = 50;

export interface RecordServeOptions {
  scenario: Scenario;
  /** The scenario file's text, kept in the folder as scenario.yaml. */
  text: string | null;
  variant: VariantOptions;
  server: ServerHandle;
  outDir: string;
  /** The folder outDir must stay inside by its real path (a scenario's output.dir: the working folder). */
  within?: string;
  /** Ctrl-C / SIGTERM: the recording stops, keeps what it has, exits 130. */
  signal: AbortSignal;
  out: Writable;
  /** `--metrics`: follows the run folder as it is written (docs/live.md). */
  live?: LiveOutputs | null;
}

export interface RecordServeResult {
  dir: string;
  exitCode: number;
  status: 'complete' | 'interrupted' | 'failed';
}

export async function recordServe(o: RecordServeOptions): Promise<RecordServeResult> {
  const { scenario: s, variant: v, server } = o;
  const tl = timeline(s, s.file && o.text !== null ? { file: s.file, text: o.text } : null);
  const session = await RunSession.open({
    scenario: s,
    text: o.text,
    variants: [v.name],
    parallel: false,
    outDir: o.outDir,
    ...(o.within === undefined ? {} : { within: o.within }),
    signal: o.signal,
    live: o.live ?? null,
  });
  const { writer, recorder } = session;
  const say = (line: string) => o.out.write(`${line}\n`);
  const startWall = Date.now();
  let t0: number | null = null;
  const state = (): PhaseState => {
    const p = t0 === null ? phaseAt(s, tl, -1) : phaseAt(s, tl, Date.now() - t0);
    return { phaseIndex: p.phaseIndex, phase: p.phase, target: p.target };
  };
  writer.appendEvent({ type: 'variant-start', variant: v.name, wall: startWall, pid: server.pid });
  writer.appendEvent({
    type: 'phase',
    variant: v.name,
    wall: startWall,
    t: 0,
    phaseIndex: -1,
    phase: 'baseline',
    target: 0,
  });
  // Labelled baseline when it started, but the server had a login by the time it answered: the phases have
  // begun (they start at the first login), whatever the poll has reported so far.
  const firstPhase: Relabel = (st, seen) => {
    if (st.phaseIndex !== -1 || (seen.online === 0 && !seen.logins)) return st;
    const p = phaseAt(s, tl, t0 === null ? 0 : Math.max(0, seen.wall - t0));
    return { phaseIndex: p.phaseIndex, phase: p.phase, target: p.target };
  };
  recorder.track(v.name, server, state, startWall, firstPhase);
  say(
    `simload serve: recording into ${writer.dir}; the phases start at the first login (${tl.segments.length} phases, ${formatDuration(tl.endMs)})`,
  );

  // The server's end is the recording's: a failure (a user's interrupt first is an interrupt).
  void server.exited.then(async () => {
    if (session.signal.aborted) return;
    const why = await server.crashReason();
    session.fail(
      new SimloadError('ERR_SERVER_EXIT', `variant ${v.name}: the server exited during the recording (${why})`),
    );
  });
  recorder.on('gone', (g: { message: string }) => {
    if (session.signal.aborted) return;
    session.fail(new SimloadError('ERR_SERVER_GONE', `variant ${v.name}: the server process is gone (${g.message})`));
  });

  const timers: NodeJS.Timeout[] = [];
  try {
    t0 = await firstLogin(server, session.signal);
    if (t0 !== null) {
      say(`simload serve: first login at ${formatDuration(t0 - startWall)}: phase 0 starts`);
      const phaseEvent = (index: number, phase: string, target: number) => {
        const wall = Date.now();
        writer.appendEvent({
          type: 'phase',
          variant: v.name,
          wall,
          t: wall - startWall,
          phaseIndex: index,
          phase,
          target,
        });
      };
      for (const seg of tl.segments)
        timers.push(
          setTimeout(() => phaseEvent(seg.index, seg.kind, seg.from), Math.max(0, t0 + seg.startMs - Date.now())),
        );
      await sleep(t0 + tl.endMs - Date.now(), session.signal);
      if (!session.signal.aborted) phaseEvent(tl.segments.length, 'done', tl.segments.at(-1)?.to ?? 0);
    }
  } finally {
    for (const t of timers) clearTimeout(t);
    await recorder.untrack(v.name).catch(() => undefined);
    await session.stopRecording();
  }
  const { status, failure: err } = session;
  const wall = Date.now();
  if (err) writer.appendEvent({ type: 'error', variant: v.name, wall, code: err.code, message: err.message });
  writer.appendEvent({ type: 'variant-end', variant: v.name, wall, t: wall - startWall });
  if (t0 === null) {
    await session.finish(status, err);
    say(`simload serve: no player logged in; the folder holds the baseline only: ${writer.dir}`);
    return { dir: writer.dir, exitCode: verdictOf(err ? 'failed' : 'interrupted').exitCode, status };
  }
  const end = await session.close({
    status,
    error: err,
    expect: s.expect,
    judgeValidity: true,
    out: o.out,
    paths: 'report',
  });
  return { dir: end.dir, exitCode: end.exitCode, status };
}

/** Wall time of the first login the server counts; null when stopped first. */
async function firstLogin(server: ServerHandle, signal: AbortSignal): Promise<number | null> {
  let before = Date.now();
  while (!signal.aborted) {
    const asked = Date.now();
    const stats = await server.stats(1000).catch(() => null);
    // The login came between the previous question and this answer: the midpoint is the best guess.
    if (stats && (stats.counters.logins > 0 || stats.online > 0)) return Math.round((before + Date.now()) / 2);
    before = asked;
    if (!(await sleep(LOGIN_POLL_MS, signal))) return null;
  }
  return null;
}

/** Once the recording has ended: waits until no player is online (the swarm stopped), at most `maxMs`. */
export async function playersGone(server: ServerHandle, maxMs: number, signal: AbortSignal): Promise<number> {
  const until = Date.now() + maxMs;
  let online = -1;
  while (Date.now() < until && !signal.aborted) {
    const stats = await server.stats(1000).catch(() => null);
    if (stats) online = stats.online;
    if (online === 0) return 0;
    if (!(await sleep(200, signal))) break;
  }
  return online;
}
