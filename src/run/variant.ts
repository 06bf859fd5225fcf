// One variant of a run: a fresh server process, a bot pool, the driver over the phases, the recorder
// sampling the server. Whatever happens (done, Ctrl-C, a crash), it ends with one last sample, the bots
// stopped, the server stopped, and the latency recorded so far.

import { SimloadError } from '../errors.js';
import { BotPool, type MergedPhase } from '../driver/bots/pool.js';
import { Driver, type PhaseEvent } from '../driver/engine.js';
import type { Progress } from '../driver/progress.js';
import type { Recorder } from '../recorder/recorder.js';
import type { RunWriter } from '../results/writer.js';
import type { Scenario } from '../scenario/types.js';
import { launchServer, type ServerHandle } from '../server/launch.js';
import type { VariantOptions } from '../alloc/options.js';
import type { ServerCgroups } from '../cgroup/server-cgroup.js';
import type { LiveOutputs } from '../live/outputs.js';
import { adopt } from './children.js';
import { followLatency } from './live-latency.js';
import type { PhaseSpans } from './latency.js';

/** Bot errors shown on the console and kept in events.ndjson, per variant. */
export const BOT_ERRORS_SHOWN = 3;

export interface VariantRunContext {
  scenario: Scenario;
  writer: RunWriter;
  recorder: Recorder;
  progress: Progress | null;
  /** Fires on Ctrl-C / SIGTERM (or when a parallel sibling failed). */
  signal: AbortSignal;
  runId: string;
  /** The servers' memory cgroups, with the run's hard memory limit if any (plan --verify): from RunOptions. */
  cgroups: ServerCgroups;
  /** Hears the variant's first failure at once (--parallel stops the siblings). */
  onFail?: (err: SimloadError) => void;
  /** `--metrics`, `--live`: also given the bots' latency while the variant runs. */
  live?: LiveOutputs | null;
}

export interface VariantOutcome {
  variant: string;
  status: 'complete' | 'interrupted' | 'failed';
  error: SimloadError | null;
  phases: Record<string, MergedPhase>;
  spans: PhaseSpans;
}

export async function runVariant(v: VariantOptions, c: VariantRunContext): Promise<VariantOutcome> {
  const { scenario, writer, recorder } = c;
  const ctl = new AbortController();
  let failure: SimloadError | null = null;
  const fail = (err: SimloadError) => {
    writer.appendEvent({ type: 'error', variant: v.name, wall: Date.now(), code: err.code, message: err.message });
    if (failure) return;
    failure = err;
    c.progress?.print(err.message);
    c.onFail?.(err);
    ctl.abort(err);
  };
  const onUserAbort = () => ctl.abort(c.signal.reason);
  if (c.signal.aborted) return { variant: v.name, status: 'interrupted', error: null, phases: {}, spans: {} };
  c.signal.addEventListener('abort', onUserAbort, { once: true });

  const startWall = Date.now();
  let server: ServerHandle | null = null;
  let release: (() => void) | null = null;
  let pool: BotPool | null = null;
  let tracked = false;
  let stopLatency: (() => Promise<void>) | null = null;
  let stopping = false;
  const events: PhaseEvent[] = [];
  let phases: Record<string, MergedPhase> = {};
  const onGone = (g: { variant: string; message: string }) => {
    if (g.variant !== v.name || stopping || c.signal.aborted) return;
    // A launched server that left /proc has exited: its exit handler below reports it with the signal and
    // stderr. Reporting here too would race it (a sample can fail before the exit is seen), and the first wins.
    if (server) return;
    fail(new SimloadError('ERR_SERVER_GONE', `variant ${v.name}: the server process is gone (${g.message})`));
  };
  recorder.on('gone', onGone);
  try {
    c.progress?.variantStarted(v.name);
    server = await launchServer({ options: scenario.server, variant: v });
    const srv = server;
    release = adopt(srv);
    writer.appendEvent({ type: 'variant-start', variant: v.name, wall: Date.now(), pid: srv.pid });
    void srv.exited.then(async () => {
      // A terminal's Ctrl-C reaches the whole process group, the server too: then its exit is the interrupt.
      if (stopping || c.signal.aborted) return;
      // Signal, the last fatal message and stderr lines: the reason reaches the console, events and run.json.
      const why = await srv.crashReason();
      if (!stopping && !c.signal.aborted)
        fail(new SimloadError('ERR_SERVER_EXIT', `variant ${v.name}: the server exited during the run (${why})`));
    });
    // Joins a memory cgroup now, before players arrive, when a pressure phase or plan --verify needs one:
    // since Linux 6.12 a process's earlier memory stays charged to its old group (no-op otherwise).
    const pressure = scenario.load.phases.some((p) => p.kind === 'pressure');
    await c.cgroups.attach({ variant: v.name, pid: srv.pid, writer, force: pressure });

    pool = new BotPool({
      url: srv.url,
      workers: scenario.load.botWorkers,
      playerPrefix: `${c.runId}-${v.name}`,
      thinkTimeMs: scenario.load.thinkTimeMs,
      rate: scenario.load.messageRate,
      phase: 'baseline',
      playersPerConnection: scenario.load.playersPerConnection ?? 1,
    });
    pool.on('error', (err: SimloadError) => fail(err));
    // The first few bot errors reach the console and the events; the counts come with the variant's end.
    let shown = 0;
    pool.on('bot-error', (message: string) => {
      if (shown >= BOT_ERRORS_SHOWN) return;
      shown++;
      writer.appendEvent({ type: 'bot-error', variant: v.name, wall: Date.now(), message });
      c.progress?.print(
        `${v.name}: bot error: ${message}${shown === BOT_ERRORS_SHOWN ? ' (further bot errors are only counted)' : ''}`,
      );
    });
    await pool.ready(ctl.signal);
    const driver = new Driver({
      scenario,
      variant: v.name,
      pool,
      serverPid: srv.pid,
      writer,
      cgroups: c.cgroups,
      signal: ctl.signal,
      startWall,
    });
    driver.on('phase', (e: PhaseEvent) => events.push(e));
    if (c.progress) driver.on('phase', c.progress.onPhase);
    recorder.track(v.name, srv, () => driver.state(), startWall);
    tracked = true;
    if (c.live?.wantsLatency)
      stopLatency = followLatency(pool, v.name, c.live, Math.max(1000, recorder.intervalMs), () =>
        spansOf(events, Date.now()),
      );
    await driver.run();
  } catch (err) {
    if (!ctl.signal.aborted || !(err instanceof Error && err.name === 'AbortError')) {
      fail(
        err instanceof SimloadError
          ? err
          : new SimloadError('ERR_VARIANT', `variant ${v.name}: ${(err as Error).message}`, undefined, { cause: err }),
      );
    }
  } finally {
    c.signal.removeEventListener('abort', onUserAbort);
    // The last sample while the server still has its players, then the bots, then the server.
    if (tracked) await recorder.untrack(v.name).catch(() => undefined);
    await stopLatency?.();
    stopping = true;
    recorder.off('gone', onGone);
    if (pool) {
      const t = pool.totals();
      phases = await pool.stop().catch(() => ({}));
      if (t.errors + t.connectFailures > 0)
        c.progress?.print(
          `${v.name}: bots saw ${t.errors} error(s) and ${t.connectFailures} connect failure(s) in ${t.sent} message(s) sent`,
        );
    }
    if (server) {
      await server.stop().catch(() => server!.kill());
      await c.cgroups.detach(server.pid);
      release?.();
      writer.appendEvent({ type: 'variant-end', variant: v.name, wall: Date.now(), t: Date.now() - startWall });
    }
  }
  const status = failure ? 'failed' : ctl.signal.aborted ? 'interrupted' : 'complete';
  return { variant: v.name, status, error: failure, phases, spans: spansOf(events, Date.now()) };
}

function spansOf(events: PhaseEvent[], end: number): PhaseSpans {
  const out: PhaseSpans = {};
  events.forEach((e, i) => {
    if (e.phaseIndex < 0 || e.phase === 'done') return;
    const next = events[i + 1];
    out[e.label] = (next ? next.wall : end) - e.wall;
  });
  return out;
}
