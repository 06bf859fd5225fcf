// One `simload watch` from start to report: resolves the target (pid or command), runs the Watcher until the
// signal, --duration or the process's exit, reads phase marks from stdin, then ends the folder's session
// (session/close.ts: the report, the table, the verdict). Returns the exit code. The engine is watch.ts; this
// file only wires it to the terminal.

import { createInterface } from 'node:readline';
import type { Writable } from 'node:stream';
import { formatAttribution } from '../report/attribution-text.js';
import type { ExpectRule } from '../scenario/types.js';
import { adopt } from '../run/children.js';
import { RunSession } from '../session/session.js';
import { formatDuration } from '../units.js';
import { formatStuckArenas, stuckArenas } from './arena-decay.js';
import type { ConsoleAddress } from './console.js';
import { checkPid, startCommand, type WatchTarget } from './target.js';
import { newestWatchFolder, watchFolderName } from './resume.js';
import { Watcher, type WatchEnd } from './watch.js';
import type { LiveOutputs } from '../live/outputs.js';

export interface RunWatchOptions {
  pid: number | null;
  cmd: string | null;
  name: string | null;
  outDir: string;
  intervalMs: number;
  durationMs: number | null;
  console: ConsoleAddress | null;
  inject: boolean;
  memIntervalMs: number | null;
  /** Services kept by name per sample and per list (--skynet-top); default 10. */
  topServices?: number;
  onlineCmd: string | null;
  expect: ExpectRule[];
  /** Where marks come from (default process.stdin); null reads none. */
  marks?: NodeJS.ReadableStream | null;
  out: Writable;
  signal: AbortSignal;
  /** `--metrics`, `--live` (docs/live.md). */
  live?: LiveOutputs | null;
  /** --keep-full, --downsample; null keeps every sample at full resolution. */
  retention?: { fullMs: number; periodMs: number } | null;
  /** --resume: the folder to append to, `''` for the newest of this name in outDir (a new one if none). */
  resume?: string | null;
}

export async function runWatch(o: RunWatchOptions): Promise<number> {
  const target: WatchTarget = o.cmd !== null ? await startCommand(o.cmd) : await checkPid(o.pid!);
  // A command simload started dies with simload, whatever ends it (a second Ctrl-C, an uncaught error).
  const child = target.child;
  const release = child ? adopt({ pid: target.pid, kill: () => child.kill('SIGKILL') }) : () => undefined;
  child?.once('exit', () => release());
  let name = o.name ?? (target.comm.replace(/[^A-Za-z0-9._-]+/g, '-') || 'watch');
  let resumeDir: string | null = null;
  try {
    resumeDir = o.resume === '' ? await newestWatchFolder(o.outDir, name) : (o.resume ?? null);
    if (o.resume === '' && resumeDir === null)
      process.stderr.write(
        `simload watch: --resume: no earlier watch folder ${name}-* in ${o.outDir}, starting a new one\n`,
      );
    if (resumeDir !== null && o.name === null) name = (await watchFolderName(resumeDir)) ?? name;
  } catch (err) {
    target.child?.kill('SIGTERM');
    throw err;
  }
  const w = new Watcher({
    pid: target.pid,
    name,
    outDir: o.outDir,
    intervalMs: o.intervalMs,
    console: o.console,
    inject: o.inject,
    memIntervalMs: o.memIntervalMs,
    ...(o.topServices !== undefined ? { topServices: o.topServices } : {}),
    onlineCmd: o.onlineCmd,
    expect: o.expect,
    description: o.cmd !== null ? `simload watch --cmd ${o.cmd}` : `simload watch --pid ${target.pid} (${target.comm})`,
    live: o.live ?? null,
    retention: o.retention ?? null,
    resumeDir,
  });
  const say = (line: string) => o.out.write(`${line}\n`);
  w.on('notice', (m: string) => process.stderr.write(`simload watch: ${m}\n`));
  w.on('gone', (m: string) => process.stderr.write(`simload watch: ${m}; the folder keeps what was recorded\n`));
  w.on('mark', (m: { word: string; fromMs: number }) => say(`mark ${m.word} at ${formatDuration(m.fromMs)}`));
  let dir: string;
  try {
    dir = await w.start();
  } catch (err) {
    w.releaseFolder();
    target.child?.kill('SIGTERM');
    throw err;
  }
  try {
    return await watchUntilEnd(w, target, dir, resumeDir, o);
  } finally {
    w.releaseFolder();
  }
}

/** From a started watch to its session's end: marks, the end (signal, --duration, the process), the report. */
async function watchUntilEnd(
  w: Watcher,
  target: WatchTarget,
  dir: string,
  resumeDir: string | null,
  o: RunWatchOptions,
): Promise<number> {
  const say = (line: string) => o.out.write(`${line}\n`);
  if (resumeDir !== null) {
    const r = w.resumed!;
    say(
      `simload watch: resumed ${dir}: nothing recorded for ${formatDuration(r.gapToMs - r.gapFromMs)} (from ${formatDuration(r.gapFromMs)} to ${formatDuration(r.gapToMs)} after the watch began)`,
    );
  }
  say(
    `simload watch: pid ${target.pid} (${target.comm}) every ${formatDuration(o.intervalMs)}` +
      `${o.durationMs !== null ? ` for ${formatDuration(o.durationMs)}` : ''} into ${dir}\n` +
      `  marks: type a word + Enter (up, peak, down, quiet, or any word) to start a phase; Ctrl-C stops`,
  );

  const input = o.marks === undefined ? process.stdin : o.marks;
  const rl = input ? createInterface({ input, terminal: false }) : null;
  rl?.on('line', (line) => {
    if (line.trim() !== '' && !w.mark(line))
      process.stderr.write(
        `simload watch: not a mark: ${JSON.stringify(line.trim())} (one word: up, peak, down, quiet, ...)\n`,
      );
  });

  const timer = o.durationMs !== null ? setTimeout(() => void w.stop('complete', 'duration'), o.durationMs) : null;
  const onAbort = () => void w.stop('interrupted', String(o.signal.reason ?? 'SIGINT'));
  if (o.signal.aborted) onAbort();
  else o.signal.addEventListener('abort', onAbort, { once: true });
  const onChildExit = (code: number | null, sig: NodeJS.Signals | null) => {
    const message = `the command's process ${target.pid} exited (${sig ? `signal ${sig}` : `code ${code}`})`;
    process.stderr.write(`simload watch: ${message}; the folder keeps what was recorded\n`);
    void w.stop('failed', 'exited', { code: 'ERR_PROC_EXITED', message });
  };
  target.child?.once('exit', onChildExit);

  let end: WatchEnd;
  try {
    end = await w.ended;
  } finally {
    if (timer) clearTimeout(timer);
    o.signal.removeEventListener('abort', onAbort);
    rl?.close();
    if (input === process.stdin) process.stdin.pause();
    target.child?.off('exit', onChildExit);
    if (target.child && target.child.exitCode === null && target.child.signalCode === null) await stopChild(target);
  }

  // A watch asks for no load: its validity is not judged (see analysis/verdict.ts).
  const r = await RunSession.over(w.folder, { live: o.live ?? null }).close({
    status: end.status,
    expect: o.expect,
    judgeValidity: false,
    out: o.out,
    details: ({ summary, samples }) => {
      const attribution = summary.variants[0]?.attribution;
      return (
        (o.inject ? formatStuckArenas(stuckArenas(samples)) : '') + (attribution ? formatAttribution(attribution) : '')
      );
    },
    paths: 'report',
    footer: `simload watch: ${end.samples} samples, ${end.status}${end.status === 'failed' ? ' (the watched process exited)' : ''}; folder ${end.dir}`,
  });
  return r.exitCode;
}

/** SIGTERM the command simload started, SIGKILL after 5 s. */
async function stopChild(t: WatchTarget): Promise<void> {
  const child = t.child!;
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
  await exited;
  clearTimeout(timer);
}
