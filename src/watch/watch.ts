// The watch engine: samples one running process every interval (/proc, and a skynet console when given) into
// a run folder of the same format as a run's, until stop() or the process exits. Emits 'sample' (Sample),
// 'mark' (MarkedPhase), 'notice' (string: console lost/back) and 'gone' (string).

import { EventEmitter } from 'node:events';
import type { AllocStats } from '../alloc/stats.js';
import { ProcSampler } from '../recorder/proc-sampler.js';
import { SAMPLE_SCHEMA_VERSION, type Sample, type SkynetSample } from '../results/sample.js';
import { RESULT_FILES, type ResumeRecord } from '../results/layout.js';
import { thisHost } from '../results/host.js';
import { RunWriter } from '../results/writer.js';
import type { ExpectRule } from '../scenario/types.js';
import { parseCmem, parseJmem, parseList, parseMallctlLines, parseMem } from './console-parse.js';
import { HandleNames } from './attribution.js';
import { SkynetConsole, type ConsoleAddress } from './console.js';
import { splitArenaMallctls } from './arena-decay.js';
import { injectCommand, removeInjectFile, writeInjectFile } from './inject.js';
import { parseMark } from './marks.js';
import { readOnline } from './online.js';
import { lockWatchFolder, type FolderLock } from './lock.js';
import { resumeFolder } from './resume.js';
import { watchScenario, type MarkedPhase } from './scenario.js';
import type { LiveOutputs } from '../live/outputs.js';

export interface WatchOptions {
  pid: number;
  /** The variant name in the folder, and the folder's stem. */
  name: string;
  /** Folder the run folder is made in. */
  outDir: string;
  intervalMs: number;
  console: ConsoleAddress | null;
  inject: boolean;
  /**
   * Least time between two per-service readings (`list`, `cmem`, `mem`: `mem` asks every Lua service, the
   * costly one); 0 = every sample, null = never. A mark and the last sample always read them.
   */
  memIntervalMs: number | null;
  /** Services kept by name per sample in each per-service list (Lua memory; C memory live, exited, unlisted); default 10. */
  topServices?: number;
  onlineCmd: string | null;
  expect: ExpectRule[];
  /** What is watched, for the report (`pid 123 (skynet)`, the --cmd text). */
  description: string;
  /** `--metrics`, `--live`: follow the folder as it is written (docs/live.md). */
  live?: LiveOutputs | null;
  /** --keep-full, --downsample: samples.ndjson keeps `fullMs` at full resolution, older ones a few per `periodMs`. */
  retention?: { fullMs: number; periodMs: number } | null;
  /** --resume: append to this watch folder (resume.ts) instead of making a new one. */
  resumeDir?: string | null;
}

export type WatchEnd = { status: 'complete' | 'interrupted' | 'failed'; reason: string; samples: number; dir: string };

export const DEFAULT_TOP_SERVICES = 10;

export class Watcher extends EventEmitter {
  readonly o: WatchOptions;
  private writer!: RunWriter;
  /** The folder's lock (lock.ts), from start() until releaseFolder(). */
  private lock: FolderLock | null = null;
  private console: SkynetConsole | null = null;
  private injectFile: string | null = null;
  private startWall = 0;
  private marks: MarkedPhase[] = [];
  private timer: NodeJS.Timeout | null = null;
  private chain: Promise<unknown> = Promise.resolve();
  private nextDue = 0;
  private stopped = false;
  private stopping = false;
  private consoleUp: boolean | null = null;
  private lastOnline = 0;
  private lastMem = -Infinity;
  /** The next sample to start reads the services whatever --skynet-mem says (set by a mark and by stop). */
  private forceServices = false;
  private readonly handleNames = new HandleNames();
  /** The watched process's /proc reads: smaps_rollup's page-table walk, which holds its mmap lock, kept to a budget. */
  private readonly proc: ProcSampler;
  private count = 0;
  /** Set by start() when it resumed a folder: the gap, as run.json's `resumes` has it. */
  resumed: ResumeRecord | null = null;
  private endResolve!: (e: WatchEnd) => void;
  /** Resolves when the watch has ended and the folder is complete. */
  readonly ended: Promise<WatchEnd>;

  constructor(o: WatchOptions) {
    super();
    this.o = o;
    this.proc = new ProcSampler(o.pid);
    this.ended = new Promise((r) => (this.endResolve = r));
  }

  get dir(): string {
    return this.writer.dir;
  }

  /** Lets another watch into the folder: after the session has ended it (or start() failed). */
  releaseFolder(): void {
    this.lock?.release();
    this.lock = null;
  }

  /** The folder's writer, once started: what the session ends (session/close.ts). */
  get folder(): RunWriter {
    return this.writer;
  }

  async start(): Promise<string> {
    let firstT: number | null = null;
    if (this.o.resumeDir) {
      const r = await resumeFolder(this.o.resumeDir, this.o.name);
      this.writer = r.writer;
      this.lock = r.lock;
      this.startWall = r.startWall;
      this.marks = r.marks;
      firstT = r.firstT;
      const wall = Date.now();
      const gap = { gapFromMs: r.gapFromMs, gapToMs: wall - r.startWall };
      this.resumed = {
        at: new Date(wall).toISOString(),
        ...gap,
        previousStatus: r.previous.status,
        pid: this.o.pid,
        tornBytes: r.tornBytes,
      };
      await this.writer.recordResume(this.resumed);
      this.writer.appendEvent({
        type: 'resumed',
        variant: this.o.name,
        wall,
        t: gap.gapToMs,
        gapFromMs: gap.gapFromMs,
        pid: this.o.pid,
      });
    } else {
      this.writer = await RunWriter.create(this.o.outDir, this.o.name, {
        scenario: this.o.name,
        variants: [this.o.name],
        parallel: false,
        host: thisHost(),
      });
      // A new folder: held so that a --resume of it while this watch writes is refused.
      this.lock = lockWatchFolder(this.writer.dir, this.writer.dir);
      this.startWall = Date.now();
    }
    if (this.o.retention) await this.writer.keepFull({ ...this.o.retention, firstT });
    if (this.o.console) this.console = new SkynetConsole(this.o.console);
    if (this.o.inject) this.injectFile = writeInjectFile();
    await this.writeScenario();
    this.o.live?.attach(this.writer, this.scenarioNow());
    if (!this.o.resumeDir)
      this.writer.appendEvent({ type: 'variant-start', variant: this.o.name, wall: this.startWall, pid: this.o.pid });
    this.nextDue = Date.now();
    await this.enqueue();
    this.schedule();
    return this.writer.dir;
  }

  /** A line from the operator: starts a phase when it is a mark word; returns the mark or null. */
  mark(line: string): MarkedPhase | null {
    const m = parseMark(line);
    if (!m || this.stopping) return null;
    const wall = Date.now();
    const marked: MarkedPhase = { ...m, fromMs: wall - this.startWall };
    this.marks.push(marked);
    const phaseIndex = this.marks.length - 1;
    this.writer.appendEvent({
      type: 'phase',
      variant: this.o.name,
      wall,
      t: marked.fromMs,
      phaseIndex,
      phase: m.word,
      target: m.target,
    });
    void this.writeScenario();
    this.forceServices = true; // the mark's sample reads the services too: growth between marks is measured there
    void this.enqueue(); // a sample at the mark, so the phase starts sharp
    this.emit('mark', marked);
    return marked;
  }

  /** Ends the watch after one last sample; `status` says how (`interrupted` for Ctrl-C). */
  async stop(status: WatchEnd['status'], reason: string, error?: { code: string; message: string }): Promise<WatchEnd> {
    if (this.stopping) return this.ended;
    this.stopping = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.forceServices = true;
    if (status !== 'failed') await this.enqueue(true);
    this.stopped = true;
    await this.chain;
    const wall = Date.now();
    if (status === 'interrupted') this.writer.appendEvent({ type: 'interrupted', wall, signal: reason });
    if (error)
      this.writer.appendEvent({ type: 'error', variant: this.o.name, wall, code: error.code, message: error.message });
    this.writer.appendEvent({ type: 'variant-end', variant: this.o.name, wall, t: wall - this.startWall });
    await this.writeScenario();
    this.console?.close();
    if (this.injectFile) removeInjectFile(this.injectFile);
    await this.writer.finish(status, error);
    const end: WatchEnd = { status, reason, samples: this.count, dir: this.writer.dir };
    this.endResolve(end);
    return end;
  }

  private scenarioNow() {
    return watchScenario({
      name: this.o.name,
      description: this.o.description,
      intervalMs: this.o.intervalMs,
      outDir: this.o.outDir,
      marks: this.marks,
      nowMs: Date.now() - this.startWall,
      expect: this.o.expect,
    });
  }

  private writeScenario(): Promise<void> {
    return this.writer.writeJson(RESULT_FILES.scenario, this.scenarioNow()).catch(() => undefined);
  }

  private schedule(): void {
    if (this.stopping) return;
    // Fixed cadence; ticks missed while a slow sample ran are skipped, as the recorder does.
    const now = Date.now();
    this.nextDue += this.o.intervalMs;
    if (this.nextDue < now) this.nextDue += Math.ceil((now - this.nextDue) / this.o.intervalMs) * this.o.intervalMs;
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.enqueue().then(() => this.schedule());
    }, this.nextDue - now);
  }

  private enqueue(final = false): Promise<unknown> {
    this.chain = this.chain.then(() => (this.stopped && !final ? null : this.take(final)));
    return this.chain;
  }

  private async take(final: boolean): Promise<void> {
    const wall = Date.now();
    const timeout = Math.min(this.o.intervalMs, 2000);
    const forced = this.forceServices;
    this.forceServices = false;
    const [proc, skynet, online] = await Promise.all([
      this.proc.read(final).catch((err: unknown) => err as Error),
      this.console ? this.readConsole(timeout, forced) : Promise.resolve(null),
      this.o.onlineCmd ? readOnline(this.o.onlineCmd, timeout) : Promise.resolve(null),
    ]);
    if (proc instanceof Error) {
      if (!this.stopping) {
        const message = `process ${this.o.pid} is gone after ${((wall - this.startWall) / 1000).toFixed(1)} s: ${proc.message}`;
        this.emit('gone', message);
        void this.stop('failed', 'exited', { code: 'ERR_PROC_EXITED', message });
      }
      return;
    }
    if (online !== null) this.lastOnline = online;
    const last = this.marks.at(-1);
    const sample: Sample = {
      v: SAMPLE_SCHEMA_VERSION,
      variant: this.o.name,
      t: wall - this.startWall,
      wall,
      phaseIndex: this.marks.length - 1,
      phase: last ? last.word : 'baseline',
      target: last ? last.target : 1,
      online: this.lastOnline,
      proc,
      alloc: skynet?.alloc ?? null,
      runtime: null,
      ...(skynet ? { skynet: skynet.sample } : {}),
    };
    this.count++;
    this.writer.appendSample(sample);
    this.emit('sample', sample);
  }

  /** jmem (and mem, and the injected mallctls) in one go; a console that stops answering is noted once. */
  private async readConsole(
    timeoutMs: number,
    forceServices: boolean,
  ): Promise<{ alloc: AllocStats | null; sample: SkynetSample }> {
    const c = this.console!;
    const sample: SkynetSample = { consoleMs: null, luaTotal: null, luaServices: 0, top: [] };
    let alloc: AllocStats | null = null;
    try {
      const j = await c.command('jmem', timeoutMs);
      const jm = j.ok ? parseJmem(j.lines) : null;
      if (!jm) throw new Error(`jmem gave no jemalloc stats: ${j.lines.slice(0, 3).join(' | ')}`);
      sample.consoleMs = Math.round(j.ms * 1000) / 1000;
      alloc = { ...jm, metadata: 0, pdirty: 0, pmuzzy: 0, source: 'skynet-jmem' };
      const memDue =
        this.o.memIntervalMs !== null && (forceServices || Date.now() - this.lastMem >= this.o.memIntervalMs);
      if (memDue) this.lastMem = Date.now();
      const top = this.o.topServices ?? DEFAULT_TOP_SERVICES;
      // `list` just before `cmem`, so that the split into live and exited is as of one moment (one round trip).
      const servicesFrom = performance.now();
      if (memDue) {
        const list = await c.command('list', timeoutMs).catch(() => null);
        const cm = list?.ok ? await c.command('cmem', timeoutMs).catch(() => null) : null;
        const cmem = cm?.ok ? parseCmem(cm.lines) : null;
        if (list?.ok && cmem) sample.cmem = this.handleNames.read(parseList(list.lines), cmem, top);
      }
      // `mem` asks every Lua service; a busy one answers late. The console's own timeout (centiseconds) is
      // set under ours, so it lists the late ones as TIMEOUT instead of the whole answer being lost.
      const m = memDue
        ? await c.command(`mem ${Math.max(1, Math.floor((timeoutMs * 0.7) / 10))}`, timeoutMs).catch(() => null)
        : null;
      if (m?.ok) {
        const mem = parseMem(m.lines);
        sample.luaTotal = mem.unanswered === 0 ? mem.total : null;
        sample.luaServices = mem.services.length;
        sample.luaUnanswered = mem.unanswered;
        sample.top = mem.services.slice(0, top);
        sample.luaRest = mem.services.slice(top).reduce((acc, x) => acc + x.bytes, 0);
      }
      if (memDue) sample.servicesMs = Math.round((performance.now() - servicesFrom) * 1000) / 1000;
      if (this.injectFile) {
        const r = await c.command(injectCommand(this.injectFile), timeoutMs);
        const all = r.ok ? parseMallctlLines(r.lines) : {};
        if (Object.keys(all).length > 0) {
          const { arenas, rest: mc } = splitArenaMallctls(all, all['arenas.page'] ?? 4096);
          sample.mallctl = mc;
          const page = mc['arenas.page'] ?? 4096;
          const pd = mc['stats.arenas.4096.pdirty'];
          const pm = mc['stats.arenas.4096.pmuzzy'];
          const md = mc['stats.metadata'];
          // With these three the full jemalloc breakdown applies (analysis/breakdown.ts), as for simload's server.
          if (pd !== undefined && pm !== undefined && md !== undefined)
            alloc = { ...jm, metadata: md, pdirty: pd * page, pmuzzy: pm * page, ...(arenas.length ? { arenas } : {}) };
        } else if (this.consoleUp !== false) {
          this.emit('notice', `skynet console: inject gave no mallctls: ${r.lines.slice(0, 3).join(' | ')}`);
        }
      }
      if (this.consoleUp === false)
        this.emit('notice', `skynet console ${c.address.host}:${c.address.port} answers again`);
      this.consoleUp = true;
    } catch (err) {
      if (this.consoleUp !== false && !this.stopped) {
        const message = `${(err as Error).message}; /proc sampling goes on, console retried every sample`;
        this.writer.appendEvent({
          type: 'error',
          variant: this.o.name,
          wall: Date.now(),
          code: 'ERR_CONSOLE_LOST',
          message,
        });
        this.emit('notice', message);
      }
      this.consoleUp = false;
    }
    return { alloc, sample };
  }
}
