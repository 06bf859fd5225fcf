// `simload watch --resume [DIR]`: a watch that was killed, crashed or stopped starts again into its folder.
// What it needs from the folder: that it is a watch's (run.json readable, scenario.json a watch's) and that no
// live watch writes it (lock.ts), its variant name, when the watch first began (sample `t` goes on from there),
// the marks so far (phases go on), and where the gap began (the last record before it). RunWriter.reopen drops
// a line the crash cut off.

import { createReadStream } from 'node:fs';
import { readdir, readFile, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { UsageError } from '../errors.js';
import { parseNdjson, readJson } from '../analysis/load.js';
import { runMetaProblems } from '../analysis/run-meta.js';
import { isWatchFolder } from '../analysis/watch-folder.js';
import { RESULT_FILES, type RunEvent, type RunMeta } from '../results/layout.js';
import { lastLine } from '../results/reopen.js';
import { safeName } from '../results/run-folder.js';
import { RunWriter } from '../results/writer.js';
import type { Scenario } from '../scenario/types.js';
import { lockWatchFolder, type FolderLock } from './lock.js';
import { parseMark } from './marks.js';
import type { MarkedPhase } from './scenario.js';

export interface Resumed {
  writer: RunWriter;
  previous: RunMeta;
  /** The variant name the folder was written under. */
  name: string;
  /** Wall time of `t = 0`: when the watch first began. */
  startWall: number;
  marks: MarkedPhase[];
  /** `t` of the last record before the gap (a sample or an event). */
  gapFromMs: number;
  /** `t` of the first sample in samples.ndjson (the full-resolution window's start), null when it has none. */
  firstT: number | null;
  tornBytes: number;
  /** Held until the watch has ended the folder. */
  lock: FolderLock;
}

/** The newest folder `<out>/<name>-<timestamp>` a watch wrote, or null. */
export async function newestWatchFolder(outDir: string, name: string): Promise<string | null> {
  const stem = safeName(name);
  const re = new RegExp(`^${stem.replace(/[.]/g, '\\.')}-(\\d{8}-\\d{6})(?:-(\\d+))?$`);
  const names = await readdir(resolve(outDir)).catch(() => [] as string[]);
  const found = names
    .map((n) => ({ n, m: re.exec(n) }))
    .filter((x) => x.m !== null)
    .sort((a, b) => a.m![1]!.localeCompare(b.m![1]!) || Number(a.m![2] ?? 1) - Number(b.m![2] ?? 1));
  for (const { n } of found.reverse()) {
    const dir = join(resolve(outDir), n);
    const scenario = await readJson<Scenario>(join(dir, RESULT_FILES.scenario)).catch(() => null);
    if (isWatchFolder(scenario)) return dir;
  }
  return null;
}

/** Opens `dir` to append to; a usage error (exit 2) saying why when it is no watch folder or `name` differs. */
export async function resumeFolder(dir: string, name: string | null): Promise<Resumed> {
  const abs = resolve(dir);
  if (!(await stat(abs).catch(() => null))?.isDirectory())
    throw new UsageError('ERR_NO_RUN', `--resume ${dir}: not a folder`);
  const meta = await readJson<unknown>(join(abs, RESULT_FILES.run));
  if (meta === null) throw new UsageError('ERR_NO_RUN', `--resume ${dir}: no ${RESULT_FILES.run}, not a run folder`);
  const problems = runMetaProblems(meta);
  if (problems.length > 0)
    throw new UsageError('ERR_RUN_FILE', `--resume ${dir}: ${RESULT_FILES.run} cannot be read: ${problems.join('; ')}`);
  const previous = meta as RunMeta;
  if (!isWatchFolder(await readJson<Scenario>(join(abs, RESULT_FILES.scenario)))) {
    throw new UsageError(
      'ERR_NOT_WATCH',
      `--resume ${dir}: not a folder \`simload watch\` wrote (only a watch can be resumed)`,
    );
  }
  const folderName = previous.variants[0]!;
  if (name !== null && name !== folderName)
    throw new UsageError('ERR_USAGE', `--resume ${dir}: the folder is of --name ${folderName}, not ${name}`);
  // Before anything in the folder changes: a watch still writing it keeps it.
  const lock = lockWatchFolder(abs, `--resume ${dir}`);
  try {
    return { ...(await reopen(abs, previous, folderName)), lock };
  } catch (err) {
    lock.release();
    throw err;
  }
}

async function reopen(abs: string, previous: RunMeta, folderName: string): Promise<Omit<Resumed, 'lock'>> {
  const { writer, tornBytes } = await RunWriter.reopen(abs, previous);
  const events = parseNdjson<RunEvent>(
    await readFile(join(abs, RESULT_FILES.events), 'utf8').catch(() => ''),
    RESULT_FILES.events,
  );
  const start = events.find((e) => e.type === 'variant-start');
  const startWall = start ? start.wall : Date.parse(previous.startedAt);
  const marks: MarkedPhase[] = [];
  for (const e of events) {
    if (e.type !== 'phase') continue;
    const m = parseMark(e.phase);
    if (m) marks.push({ ...m, target: e.target === 0 ? 0 : 1, fromMs: e.t });
  }
  const lastSample = parseT(await lastLine(join(abs, RESULT_FILES.samples)), null);
  const lastEvent = events.length > 0 ? events.at(-1)!.wall - startWall : null;
  return {
    writer,
    previous,
    name: folderName,
    startWall,
    marks,
    gapFromMs: Math.max(lastSample ?? 0, lastEvent ?? 0),
    firstT: await firstSampleT(join(abs, RESULT_FILES.samples)),
    tornBytes,
  };
}

async function firstSampleT(file: string): Promise<number | null> {
  if (!(await stat(file).catch(() => null))?.isFile()) return null;
  const lines = createInterface({ input: createReadStream(file), crlfDelay: Infinity });
  try {
    for await (const line of lines) {
      const t = parseT(line, undefined);
      if (t !== undefined) return t;
    }
  } catch {
    // no samples.ndjson: no first sample
  } finally {
    lines.close();
  }
  return null;
}

function parseT<D>(line: string | null, otherwise: D): number | D {
  if (line === null || line.trim() === '') return otherwise;
  try {
    const t = (JSON.parse(line) as { t?: unknown }).t;
    return typeof t === 'number' ? t : otherwise;
  } catch {
    return otherwise;
  }
}

/** The variant name of a folder's run.json (what a resumed watch records under), null when unreadable. */
export async function watchFolderName(dir: string): Promise<string | null> {
  const meta = await readJson<{ variants?: unknown }>(join(resolve(dir), RESULT_FILES.run)).catch(() => null);
  const v = Array.isArray(meta?.variants) ? meta.variants[0] : undefined;
  return typeof v === 'string' ? v : null;
}
