// One run folder from open to close, as k6's outputs have a start, samples and a stop: `simload run`,
// `serve --record` and fidelity's skynet side open it (the folder, scenario.yaml, the live outputs, a recorder,
// and a stop signal that fires on the user's interrupt, on a failure and when the folder stops taking writes);
// `watch` takes one over the folder its Watcher writes. All of them end it with close() (close.ts), so a run
// ends the same way whichever command recorded it.

import { SimloadError } from '../errors.js';
import type { LiveOutputs } from '../live/outputs.js';
import { Recorder } from '../recorder/recorder.js';
import type { RunEnd } from '../analysis/index.js';
import { thisHost } from '../results/host.js';
import { RunWriter } from '../results/writer.js';
import type { Scenario } from '../scenario/types.js';
import { closeRun, type CloseOptions, type SessionEnd } from './close.js';

export interface OpenOptions {
  scenario: Scenario;
  /** The scenario file's text, kept in the folder as scenario.yaml (null: scenario.json alone). */
  text: string | null;
  /** The variants' names, in run.json. */
  variants: string[];
  parallel: boolean;
  /** The folder the run folder is made in. */
  outDir: string;
  /** The run folder's name before its timestamp (default: the scenario's name). */
  name?: string;
  /** The folder outDir must stay inside by its real path (a scenario's output.dir: the working folder). */
  within?: string;
  /** The user's Ctrl-C / SIGTERM: the session stops, and the folder records `interrupted`. */
  signal?: AbortSignal;
  /** `--metrics`, `--live`: follow the folder as it is written, end with the verdict (docs/live.md). */
  live?: LiveOutputs | null;
  /** Says that the session stops (the folder stopped taking writes, an interrupt); default silent. */
  notice?: (line: string) => void;
}

export { RunFailedError, type CloseOptions, type SessionEnd } from './close.js';

export class RunSession {
  /** Aborted by the user's signal, by fail() and by the first write the folder refuses. */
  private readonly stop = new AbortController();
  private firstFailure: SimloadError | null = null;
  private detach: () => void = () => undefined;
  private closing: Promise<SessionEnd> | null = null;

  private constructor(
    readonly writer: RunWriter,
    /** Null for a session over a folder something else samples (watch). */
    readonly recorder: Recorder | null,
    private readonly userSignal: AbortSignal,
    private readonly live: LiveOutputs | null,
  ) {}

  static async open(o: OpenOptions): Promise<RunSession & { readonly recorder: Recorder }> {
    const s = o.scenario;
    const writer = await RunWriter.create(
      o.outDir,
      o.name ?? s.name,
      { scenario: s.name, variants: o.variants, parallel: o.parallel, host: thisHost() },
      o.within === undefined ? {} : { within: o.within },
    );
    const recorder = new Recorder({ writer, intervalMs: s.record.intervalMs });
    const session = new RunSession(writer, recorder, o.signal ?? new AbortController().signal, o.live ?? null);
    const { stop, userSignal } = session;
    const onUser = () => stop.abort(userSignal.reason);
    if (userSignal.aborted) onUser();
    else userSignal.addEventListener('abort', onUser, { once: true });
    // Before the first file it writes: its failure stops the session, whichever file it was.
    writer.onWriteError((err) => {
      o.notice?.(`${err.message}: stopping the run, keeping what was written`);
      stop.abort(err);
    });
    try {
      await writer.writeScenario(o.text, s);
    } catch (err) {
      userSignal.removeEventListener('abort', onUser);
      throw err;
    }
    o.live?.attach(writer, s);
    const onAbort = () => {
      if (writer.writeError) return;
      const why = String(userSignal.reason ?? 'abort');
      writer.appendEvent({ type: 'interrupted', wall: Date.now(), signal: why });
      o.notice?.(`interrupted (${why}): stopping bots and servers, keeping the results`);
    };
    userSignal.addEventListener('abort', onAbort, { once: true });
    session.detach = () => {
      userSignal.removeEventListener('abort', onAbort);
      userSignal.removeEventListener('abort', onUser);
    };
    return session as RunSession & { readonly recorder: Recorder };
  }

  /** A session over a folder something else writes and samples (watch's Watcher): close() alone. */
  static over(writer: RunWriter, o: { live?: LiveOutputs | null } = {}): RunSession {
    return new RunSession(writer, null, new AbortController().signal, o.live ?? null);
  }

  get dir(): string {
    return this.writer.dir;
  }

  /** Stops what records into the folder: the user's interrupt, fail(), a write the folder refused. */
  get signal(): AbortSignal {
    return this.stop.signal;
  }

  /** The user interrupted (Ctrl-C, SIGTERM). */
  get interrupted(): boolean {
    return this.userSignal.aborted;
  }

  /** The first failure: fail()'s, else the first write the folder refused. */
  get failure(): SimloadError | null {
    return this.firstFailure ?? this.writer.writeError;
  }

  /** How the recording ended, from what stopped it: a failure, else an interrupt, else complete. */
  get status(): RunEnd {
    return this.failure ? 'failed' : this.stop.signal.aborted ? 'interrupted' : 'complete';
  }

  /** Something the recording needs broke (the server exited): the session stops and ends `failed`. */
  fail(err: SimloadError): void {
    this.firstFailure ??= err;
    this.stop.abort(err);
  }

  /** Stops sampling (a last sample of each tracked variant) and stops listening to the user's signal. */
  async stopRecording(): Promise<void> {
    this.detach();
    this.detach = () => undefined;
    await this.recorder?.close();
  }

  /** Stops recording and says in run.json how the recording ended, without a report (nothing to judge). */
  async finish(status: RunEnd, error: SimloadError | null): Promise<void> {
    await this.stopRecording();
    await this.writer.finish(status, error ? { code: error.code, message: error.message } : undefined);
  }

  /** Ends the run: run.json, the report, validity, the table, the verdict (close.ts). Once. */
  close(c: CloseOptions): Promise<SessionEnd> {
    this.closing ??= this.stopRecording().then(() => closeRun(this.writer, this.live, c));
    return this.closing;
  }
}
