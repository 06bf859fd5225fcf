// `simload serve --record`: the server runs for bots simload does not drive (a Locust swarm, docs/distributed.md)
// and is recorded into a run folder of the same format as `simload run`'s, so report, `expect:` and compare
// work on it and the run is judged like any run (load validity against the scenario's targets).
//
// The clocks: sample times `t` count from the server's start, as in a run. Until the first login the server is
// in its baseline; the scenario's phases start at the first login (seen within LOGIN_POLL_MS) and each sample
// carries the target the driver's shapes give for that moment (export/schedule.ts). A sample is labelled when
// it starts, and its answer can show a login the poll has not reported yet: such a sample is phase 0, never
// baseline (firstPhase below), so the baseline holds no player. The recording ends when the phases end (a last
// sample, a `done` phase, then the report); the server keeps serving until its players have left, so a swarm
// that outlives the phases by a few seconds does not see the server vanish.

import { cpus, release, totalmem } from 'node:os';
import type { Writable } from 'node:stream';
import { sleep } from '../driver/engine.js';
import { ExitCode, SimloadError } from '../errors.js';
import { timeline, phaseAt } from '../export/schedule.js';
import { Recorder, type PhaseState, type Relabel } from '../recorder/recorder.js';
import { checkExpectations, summaryValidity, verdict } from '../analysis/index.js';
import { formatSummaryTable, renderReport } from '../report/index.js';
import { RunWriter } from '../results/writer.js';
import type { Scenario } from '../scenario/types.js';
import type { ServerHandle } from '../server/launch.js';
import type { VariantOptions } from '../alloc/options.js';
import { formatDuration } from '../units.js';
import type { LiveOutputs } from '../live/outputs.js';
import { RESULT_FILES } from '../results/layout.js';
import { join } from 'node:path';

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
  const writer = await RunWriter.create(
    o.outDir,
    s.name,
    {
      scenario: s.name,
      variants: [v.name],
      parallel: false,
      host: { cpus: cpus().length, memBytes: totalmem(), kernel: release(), node: process.version },
    },
    o.within === undefined ? {} : { within: o.within },
  );
  await writer.writeScenario(o.text, s);
  o.live?.attach(writer, s);
  const say = (line: string) => o.out.write(`${line}\n`);
  const startWall = Date.now();
  let t0: number | null = null;
  const state = (): PhaseState => {
    const p = t0 === null ? phaseAt(s, tl, -1) : phaseAt(s, tl, Date.now() - t0);
    return { phaseIndex: p.phaseIndex, phase: p.phase, target: p.target };
  };
  const recorder = new Recorder({ writer, intervalMs: s.record.intervalMs });
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

  let failure: SimloadError | null = null;
  const stop = new AbortController();
  const onAbort = () => stop.abort(o.signal.reason);
  if (o.signal.aborted) onAbort();
  else o.signal.addEventListener('abort', onAbort, { once: true });
  void server.exited.then(async () => {
    if (stop.signal.aborted) return;
    failure = new SimloadError(
      'ERR_SERVER_EXIT',
      `variant ${v.name}: the server exited during the recording (${await server.crashReason()})`,
    );
    stop.abort(failure);
  });
  recorder.on('gone', (g: { message: string }) => {
    if (stop.signal.aborted) return;
    failure = new SimloadError('ERR_SERVER_GONE', `variant ${v.name}: the server process is gone (${g.message})`);
    stop.abort(failure);
  });

  const timers: NodeJS.Timeout[] = [];
  try {
    t0 = await firstLogin(server, stop.signal);
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
      await sleep(t0 + tl.endMs - Date.now(), stop.signal);
      if (!stop.signal.aborted) phaseEvent(tl.segments.length, 'done', tl.segments.at(-1)?.to ?? 0);
    }
  } finally {
    for (const t of timers) clearTimeout(t);
    o.signal.removeEventListener('abort', onAbort);
    await recorder.untrack(v.name).catch(() => undefined);
    await recorder.close();
  }
  const interrupted = failure === null && stop.signal.aborted;
  const status = failure ? 'failed' : interrupted ? 'interrupted' : 'complete';
  const wall = Date.now();
  if (interrupted) writer.appendEvent({ type: 'interrupted', wall, signal: String(o.signal.reason ?? 'SIGINT') });
  const err = failure as SimloadError | null;
  if (err) writer.appendEvent({ type: 'error', variant: v.name, wall, code: err.code, message: err.message });
  writer.appendEvent({ type: 'variant-end', variant: v.name, wall, t: wall - startWall });
  await writer.finish(status, err ? { code: err.code, message: err.message } : undefined);
  if (t0 === null) {
    say(`simload serve: no player logged in; the folder holds the baseline only: ${writer.dir}`);
    return { dir: writer.dir, exitCode: err ? ExitCode.runtime : ExitCode.interrupted, status };
  }

  const { summary, html } = await renderReport(writer.dir);
  const validity = summaryValidity(summary);
  if (status === 'complete') await writer.recordValidity(validity);
  o.out.write(formatSummaryTable(summary));
  say(`report: ${html}`);
  const end = verdict({ status, validity, expect: checkExpectations(summary, s.expect) });
  if (end.lines.length > 0) o.out.write(end.lines.join('\n') + '\n');
  await o.live?.finish({
    outcome: end.outcome,
    exitCode: end.exitCode,
    lines: end.lines,
    report: join(writer.dir, RESULT_FILES.report),
  });
  return { dir: writer.dir, exitCode: end.exitCode, status };
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
