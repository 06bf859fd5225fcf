// Owns one run folder, results/<scenario>-<timestamp>/. Samples and events are appended as they come and
// flushed at least every second (and on finish), so a crash or Ctrl-C loses at most one second of records.
// Whole-file outputs (run.json, latency.json, ...) are written to a temporary name and renamed, so a reader
// never sees half a file.

import { closeSync, openSync, writeFileSync, writeSync } from 'node:fs';
import { join, resolve } from 'node:path';
import YAML from 'yaml';
import { SimloadError } from '../errors.js';
import { writeFileAtomic } from './atomic.js';
import { dropTornLine, removeTemporaries } from './reopen.js';
import { rotateSamples } from './rotate.js';
import { makeRunFolder, toolVersion } from './run-folder.js';
import type { Sample } from './sample.js';
import { RESULT_FILES, type LatencyFile, type ResumeRecord, type RunEvent, type RunMeta } from './layout.js';

/** Longest time a sample or event waits in memory before it reaches the disk. */
export const FLUSH_INTERVAL_MS = 1000;

export type RunWriterMeta = Omit<RunMeta, 'tool' | 'version' | 'startedAt' | 'endedAt' | 'status'>;

/** A sample or an event as it is appended: what a live output (a /metrics endpoint, a live page) follows. */
export type RunRecord = { kind: 'sample'; sample: Sample } | { kind: 'event'; event: RunEvent };

/** Writers not finished yet: if the process exits under them (a second Ctrl-C, an uncaught error), the
    exit hook below still flushes them and records how the run ended, so run.json never stays `running`. */
const open = new Set<RunWriter>();
process.on('exit', (code) => {
  for (const w of open) w.finishSync(code === 130 ? 'interrupted' : 'failed');
});

export class RunWriter {
  readonly dir: string;
  private meta: RunMeta;
  private readonly buffers = new Map<string, string[]>();
  private readonly fds = new Map<string, number>();
  private timer: NodeJS.Timeout | null = null;
  private finished = false;
  /** While a rotation rewrites samples.ndjson, its lines wait in memory. */
  private holding = false;
  /** The first failure to write into the folder (unwritable, full): the run stops, run.json says `failed`. */
  private failure: SimloadError | null = null;
  private readonly failureListeners: Array<(err: SimloadError) => void> = [];
  private readonly taps: Array<(r: RunRecord) => void> = [];
  /** Full-resolution window (keepFull, `retention` in run.json) and the span samples.ndjson holds now. */
  private keep: { fullMs: number; periodMs: number } | null = null;
  private firstT: number | null = null;
  private lastT: number | null = null;
  /** A rotation moving older samples out of samples.ndjson; samples stay buffered until it is done. */
  private rotation: Promise<void> | null = null;

  private constructor(dir: string, meta: RunMeta) {
    this.dir = dir;
    this.meta = meta;
  }

  /**
   * Makes `<baseDir>/<scenarioName>-<timestamp>/` (a `-2`, `-3` suffix if that exists) and writes run.json.
   * `within`: the folder baseDir must stay inside, by its real path (a scenario's output.dir: the working folder);
   * without it (a --out given on the command line) baseDir may be anywhere.
   */
  static async create(
    baseDir: string,
    scenarioName: string,
    meta: RunWriterMeta,
    opts: { within?: string } = {},
  ): Promise<RunWriter> {
    const { dir, now } = await makeRunFolder(baseDir, scenarioName, opts);
    const full: RunMeta = {
      tool: 'simload',
      version: toolVersion(),
      startedAt: now.toISOString(),
      endedAt: null,
      status: 'running',
      ...meta,
    };
    const w = new RunWriter(dir, full);
    await w.writeJson(RESULT_FILES.run, full);
    open.add(w);
    return w;
  }

  /**
   * An existing run folder, appended to again (a watch started again with --resume): a last line cut off by a
   * crash is dropped, temporaries left by it removed, and run.json says `running` until finish. `previous`:
   * the folder's run.json as read (and checked) by the caller. Returns the writer and the torn bytes dropped.
   */
  static async reopen(dir: string, previous: RunMeta): Promise<{ writer: RunWriter; tornBytes: number }> {
    const abs = resolve(dir);
    await removeTemporaries(abs);
    let tornBytes = 0;
    for (const f of [RESULT_FILES.samples, RESULT_FILES.events]) tornBytes += await dropTornLine(join(abs, f));
    // Rotation is what this watch asks for (keepFull), whatever the last one did.
    const { endedAt: _e, error: _x, validity: _v, retention: _k, ...rest } = previous;
    const w = new RunWriter(abs, { ...rest, status: 'running', endedAt: null });
    await w.writeRunJson();
    open.add(w);
    return { writer: w, tornBytes };
  }

  /**
   * Keeps samples.ndjson to the last `fullMs` of samples (plus at most a quarter of it, or one period): older
   * ones are moved to samples-older.ndjson.gz, downsampled per `periodMs` (rotate.ts). `firstT`: the first
   * sample already in samples.ndjson (a reopened folder), null when it has none.
   */
  async keepFull(o: { fullMs: number; periodMs: number; firstT: number | null }): Promise<void> {
    this.keep = { fullMs: o.fullMs, periodMs: o.periodMs };
    this.meta = { ...this.meta, retention: this.keep };
    this.firstT = o.firstT;
    await this.writeRunJson();
  }

  /** Adds a restart of the watch to run.json's `resumes`. */
  async recordResume(r: ResumeRecord): Promise<void> {
    this.meta = { ...this.meta, resumes: [...(this.meta.resumes ?? []), r] };
    await this.writeRunJson();
  }

  /**
   * scenario.yaml (the text as run; the resolved scenario as YAML when there is no text) and scenario.json.
   * `scenario` is the validated Scenario (scenario/types.ts) as plain data: results/ sits below scenario/.
   */
  async writeScenario(text: string | null, scenario: object): Promise<void> {
    await this.writeFileAtomic(RESULT_FILES.scenarioText, text ?? YAML.stringify(scenario));
    await this.writeJson(RESULT_FILES.scenario, scenario);
  }

  appendSample(s: Sample): void {
    this.append(RESULT_FILES.samples, s);
    this.tell({ kind: 'sample', sample: s });
    this.firstT ??= s.t;
    this.lastT = s.t;
    this.rotateIfDue();
  }

  /** Starts a rotation once samples.ndjson spans more than its window and a quarter (or a period) more. */
  private rotateIfDue(): void {
    const keep = this.keep;
    if (!keep || this.rotation || this.finished || this.firstT === null || this.lastT === null) return;
    if (this.lastT - this.firstT <= Math.max(keep.fullMs * 1.25, keep.fullMs + keep.periodMs)) return;
    // Cut on a period boundary, so that no period is split between two rotations.
    const cutoff = Math.floor((this.lastT - keep.fullMs) / keep.periodMs) * keep.periodMs;
    this.rotation = this.rotate(cutoff, keep.periodMs).finally(() => (this.rotation = null));
  }

  private async rotate(cutoff: number, periodMs: number): Promise<void> {
    try {
      this.flushOrThrow();
      const fd = this.fds.get(RESULT_FILES.samples);
      this.fds.delete(RESULT_FILES.samples);
      this.holding = true;
      if (fd !== undefined) closeSync(fd);
      const r = await rotateSamples(this.dir, cutoff, periodMs);
      this.firstT = r.firstT ?? cutoff;
    } catch (err) {
      // The samples stay where they were (rotate.ts cleans up after itself): the folder only grows, the run goes on.
      this.keep = null;
      const message = `cannot move older samples out of ${RESULT_FILES.samples} in ${this.dir}: ${(err as Error).message}; it keeps every sample from now on`;
      this.appendEvent({ type: 'error', variant: null, wall: Date.now(), code: 'ERR_RESULTS_ROTATE', message });
      process.stderr.write(`simload: ${message}\n`);
    } finally {
      this.holding = false;
    }
  }

  appendEvent(e: RunEvent): void {
    this.append(RESULT_FILES.events, e);
    this.tell({ kind: 'event', event: e });
  }

  /** Hears every sample and event as it is appended (before it reaches the disk). */
  onRecord(f: (r: RunRecord) => void): void {
    this.taps.push(f);
  }

  /** A listener that throws must not cost the recording: the folder is what counts. */
  private tell(r: RunRecord): void {
    if (this.finished) return;
    for (const f of this.taps) {
      try {
        f(r);
      } catch (err) {
        process.stderr.write(`simload: a live output failed: ${(err as Error).message}\n`);
      }
    }
  }

  async writeLatency(l: LatencyFile): Promise<void> {
    await this.writeJson(RESULT_FILES.latency, l);
  }

  /** Writes `name` (inside the run folder) as pretty JSON, atomically. */
  async writeJson(name: string, data: unknown): Promise<void> {
    await this.writeFileAtomic(name, JSON.stringify(data, null, 2) + '\n');
  }

  /** The first write that failed, if any. */
  get writeError(): SimloadError | null {
    return this.failure;
  }

  /** Called once, at the first write that fails. */
  onWriteError(f: (err: SimloadError) => void): void {
    this.failureListeners.push(f);
  }

  private failed(err: unknown, what: string): SimloadError {
    const e = new SimloadError(
      'ERR_RESULTS_WRITE',
      `cannot write ${what} in ${this.dir}: ${(err as Error).message}`,
      undefined,
      { cause: err },
    );
    if (!this.failure) {
      this.failure = e;
      for (const f of this.failureListeners) f(e);
    }
    return e;
  }

  /** Writes buffered samples and events to disk now (synchronously, so it also works in exit handlers). */
  flush(): void {
    try {
      this.flushOrThrow();
    } catch (err) {
      const first = !this.failure;
      const e = this.failed(err, 'samples and events');
      if (first) throw e;
      // Reported once; the lines stay buffered and are tried again at the next flush.
    }
  }

  private flushOrThrow(): void {
    for (const [name, lines] of this.buffers) {
      if (lines.length === 0 || (this.holding && name === RESULT_FILES.samples)) continue;
      let fd = this.fds.get(name);
      if (fd === undefined) {
        fd = openSync(join(this.dir, name), 'a');
        this.fds.set(name, fd);
      }
      const buf = Buffer.from(lines.join(''));
      // Cleared only once written: after a failed write (disk full) the lines are tried again next flush.
      for (let off = 0; off < buf.length;) off += writeSync(fd, buf, off, buf.length - off);
      lines.length = 0;
    }
  }

  /** Flushes, closes the NDJSON files and rewrites run.json with the final status. Later calls do nothing. */
  async finish(status: RunMeta['status'], error?: { code: string; message: string }): Promise<void> {
    if (this.finished) return;
    this.finished = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.rotation;
    this.flush();
    for (const fd of this.fds.values()) closeSync(fd);
    this.fds.clear();
    const why = error ?? (this.failure ? { code: this.failure.code, message: this.failure.message } : undefined);
    this.meta = {
      ...this.meta,
      status: this.failure && status === 'complete' ? 'failed' : status,
      endedAt: new Date().toISOString(),
      ...(why ? { error: why } : {}),
    };
    await this.writeRunJson();
    open.delete(this);
  }

  /**
   * run.json atomically; in a folder that no longer takes new files (read-only, immutable) the existing
   * run.json is rewritten in place, so it still says how the run ended.
   */
  private async writeRunJson(): Promise<void> {
    const text = JSON.stringify(this.meta, null, 2) + '\n';
    try {
      await this.writeFileAtomic(RESULT_FILES.run, text);
    } catch (err) {
      try {
        writeFileSync(join(this.dir, RESULT_FILES.run), text);
      } catch {
        // nothing more to try: the error below says where
      }
      throw err;
    }
  }

  /** Records in run.json whether the run delivered its load (after finish, once the report is computed). */
  async recordValidity(validity: { valid: boolean; reasons: string[] }): Promise<void> {
    this.meta = { ...this.meta, validity };
    await this.writeRunJson();
  }

  /** finish() for exit handlers, where nothing asynchronous runs any more. */
  finishSync(status: RunMeta['status']): void {
    if (this.finished) return;
    this.finished = true;
    if (this.timer) clearTimeout(this.timer);
    this.holding = false; // a rotation cut short by the exit: samples.ndjson (whichever it is now) takes them
    try {
      this.flushOrThrow();
      for (const fd of this.fds.values()) closeSync(fd);
      this.fds.clear();
      this.meta = { ...this.meta, status, endedAt: new Date().toISOString() };
      writeFileSync(join(this.dir, RESULT_FILES.run), JSON.stringify(this.meta, null, 2) + '\n');
    } catch {
      // exiting anyway: what was flushed before stays
    }
    open.delete(this);
  }

  /** The run metadata as last written. */
  get runMeta(): Readonly<RunMeta> {
    return this.meta;
  }

  private append(name: string, record: unknown): void {
    if (this.finished) return; // a late sample after finish has nowhere consistent to go
    let lines = this.buffers.get(name);
    if (!lines) this.buffers.set(name, (lines = []));
    lines.push(JSON.stringify(record) + '\n');
    if (!this.timer) {
      this.timer = setTimeout(() => {
        this.timer = null;
        try {
          this.flush();
        } catch (err) {
          process.stderr.write(`simload: ${(err as Error).message}\n`);
        }
      }, FLUSH_INTERVAL_MS);
      this.timer.unref();
    }
  }

  private async writeFileAtomic(name: string, text: string): Promise<void> {
    try {
      await writeFileAtomic(join(this.dir, name), text);
    } catch (err) {
      throw this.failed(err, name);
    }
  }
}
