// Reads a run folder back into plain data. The report uses nothing else, so it can be rendered again later
// (`simload report DIR`) or from a folder a crashed run left behind.

import { createReadStream } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { constants, gunzipSync } from 'node:zlib';
import { UsageError } from '../errors.js';
import { SAMPLE_SCHEMA_VERSION, type Sample } from '../results/sample.js';
import { RESULT_FILES, type LatencyFile, type RunEvent, type RunMeta } from '../results/layout.js';
import type { Scenario } from '../scenario/types.js';
import { runMetaProblems } from './run-meta.js';

export interface RunData {
  dir: string;
  /** run.json; null when the run died before writing it. */
  meta: RunMeta | null;
  scenario: Scenario | null;
  /** All samples, in file order (per variant, `t` increases). */
  samples: Sample[];
  events: RunEvent[];
  latency: LatencyFile | null;
  /** plan.json when the folder holds a capacity plan (plan/ writes it). */
  plan: unknown | null;
  /** NDJSON lines that could not be read and were skipped (a crash can cut the last line). */
  skippedLines: number;
  /**
   * A long watch's downsampled older samples (samples-older.ndjson.gz), among `samples`: how many, and the
   * time of the last one (full resolution after it). Null when the folder has none.
   */
  older?: { samples: number; untilMs: number } | null;
}

export interface LoadOptions {
  /** Only the samples this keeps are read (a report for a window of a long watch). */
  keep?: (s: Sample) => boolean;
}

export async function loadRun(dir: string, opts: LoadOptions = {}): Promise<RunData> {
  const abs = resolve(dir);
  const st = await stat(abs).catch(() => null);
  if (!st?.isDirectory())
    throw new UsageError(
      'ERR_NO_RUN',
      `${dir}: not a folder (expected a run folder such as results/ramp-20240501-120000)`,
    );
  const skipped = { n: 0 };
  const full = await readNdjsonFile(join(abs, RESULT_FILES.samples), skipped);
  if (full === null) {
    throw new UsageError('ERR_NO_RUN', `${dir}: not a simload run folder (no ${RESULT_FILES.samples})`);
  }
  const meta = await readJson<unknown>(join(abs, RESULT_FILES.run));
  const metaProblems = meta === null ? [] : runMetaProblems(meta);
  if (metaProblems.length > 0) {
    throw new UsageError(
      'ERR_RUN_FILE',
      `${join(dir, RESULT_FILES.run)} is not a run.json this simload can read:\n  ${metaProblems.join('\n  ')}`,
    );
  }
  const runMeta = meta as RunMeta | null;
  // A line that parsed but is no sample (null, a number, a list: a torn or hand-edited line) is skipped and
  // counted like an unreadable one; only a sample of another schema version says the folder needs another simload.
  const older = await readOlder(join(abs, RESULT_FILES.samplesOlder), full, skipped);
  const parsed = [...older, ...full];
  const samples = parsed.filter((s): s is Sample => typeof s === 'object' && s !== null && !Array.isArray(s));
  skipped.n += parsed.length - samples.length;
  samples.forEach((s, i) => {
    if (s.v !== SAMPLE_SCHEMA_VERSION) {
      throw new UsageError(
        'ERR_SAMPLE_VERSION',
        `${join(dir, RESULT_FILES.samples)}: sample ${i + 1} has schema version ${String(s.v)}, this simload reads ${SAMPLE_SCHEMA_VERSION}`,
      );
    }
  });
  // A sample missing what every metric reads (a hand edit, a torn write that still parsed) is skipped and
  // counted like an unreadable line, instead of crashing the report with a TypeError; so is one naming a variant
  // the run did not have (it would add a column of its own). A plan folder names its series as it goes (a
  // verify run's series is added after run.json), so there the samples' names are the list.
  const plan = await readJson<unknown>(join(abs, RESULT_FILES.plan));
  const known = runMeta && plan === null ? new Set(runMeta.variants) : null;
  const whole = samples.filter((s) => isWholeSample(s) && (known === null || known.has(s.variant)));
  skipped.n += samples.length - whole.length;
  const olderSet = new Set<unknown>(older);
  const kept = opts.keep ? whole.filter(opts.keep) : whole;
  const keptOlder = kept.filter((s) => olderSet.has(s));
  const eventsText = await readOptional(join(abs, RESULT_FILES.events));
  return {
    dir: abs,
    meta: runMeta,
    scenario: await readJson<Scenario>(join(abs, RESULT_FILES.scenario)),
    samples: kept,
    events: eventsText === null ? [] : parseNdjson<RunEvent>(eventsText, join(dir, RESULT_FILES.events), skipped),
    latency: await readJson<LatencyFile>(join(abs, RESULT_FILES.latency)),
    plan,
    skippedLines: skipped.n,
    older:
      keptOlder.length > 0
        ? { samples: keptOlder.length, untilMs: keptOlder.reduce((m, s) => Math.max(m, s.t), -Infinity) }
        : null,
  };
}

/** An NDJSON file read a line at a time (a long watch's samples.ndjson can exceed what one string holds); null when absent. */
async function readNdjsonFile(file: string, skipped: { n: number }): Promise<unknown[] | null> {
  const out: unknown[] = [];
  try {
    if (!(await stat(file)).isFile()) throw new Error('not a file');
    for await (const raw of createInterface({ input: createReadStream(file), crlfDelay: Infinity })) {
      const line = raw.trim();
      if (line === '') continue;
      try {
        out.push(JSON.parse(line));
      } catch {
        skipped.n++;
      }
    }
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw new UsageError('ERR_RUN_FILE', `cannot read ${file}: ${(err as Error).message}`);
  }
  return out;
}

/**
 * samples-older.ndjson.gz: one gzip member per rotation, read as one stream; a member cut off by a crash gives
 * what it holds up to the cut. A rotation the crash stopped before samples.ndjson was replaced leaves its
 * samples in both files: the full-resolution copy is kept (samples here from the first one in `full` on are left out).
 */
async function readOlder(file: string, full: unknown[], skipped: { n: number }): Promise<unknown[]> {
  let gz: Buffer;
  try {
    gz = await readFile(file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw new UsageError('ERR_RUN_FILE', `cannot read ${file}: ${(err as Error).message}`);
  }
  let text: string;
  try {
    text = gunzipSync(gz, { finishFlush: constants.Z_SYNC_FLUSH }).toString('utf8');
  } catch (err) {
    throw new UsageError('ERR_RUN_FILE', `${file}: not gzip: ${(err as Error).message}`);
  }
  const firstFull = new Map<string, number>();
  for (const s of full) {
    const x = s as Partial<Sample> | null;
    if (
      x &&
      typeof x === 'object' &&
      typeof x.variant === 'string' &&
      typeof x.t === 'number' &&
      !firstFull.has(x.variant)
    )
      firstFull.set(x.variant, x.t);
  }
  return parseNdjson<unknown>(text, file, skipped).filter((s) => {
    const x = s as Partial<Sample> | null;
    const from = x && typeof x === 'object' && typeof x.variant === 'string' ? firstFull.get(x.variant) : undefined;
    return from === undefined || typeof x!.t !== 'number' || x!.t < from;
  });
}

/**
 * One JSON value per line. Unreadable lines are skipped and counted, not fatal: a crash cuts the last line, and a
 * write retried after a full disk can leave a torn one; the report notes how many.
 */
export function parseNdjson<T>(text: string, _file: string, skipped: { n: number } = { n: 0 }): T[] {
  const out: T[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '') continue;
    try {
      out.push(JSON.parse(line) as T);
    } catch {
      skipped.n++;
    }
  }
  return out;
}

/**
 * The run's samples per variant, each sorted by time: run.json's variants first, in its order, then any other in
 * the order first seen. A variant without samples is left out.
 */
export function samplesByVariant(run: Pick<RunData, 'meta' | 'samples'>): Map<string, Sample[]> {
  const out = new Map<string, Sample[]>();
  for (const v of run.meta?.variants ?? []) out.set(v, []);
  for (const s of run.samples) {
    let list = out.get(s.variant);
    if (!list) out.set(s.variant, (list = []));
    list.push(s);
  }
  for (const [v, list] of out) {
    if (list.length === 0) out.delete(v);
    else list.sort((a, b) => a.t - b.t);
  }
  return out;
}

async function readOptional(file: string): Promise<string | null> {
  try {
    return await readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw new UsageError('ERR_RUN_FILE', `cannot read ${file}: ${(err as Error).message}`);
  }
}

/** A JSON file of a run folder; null when absent, a usage error (exit 2) when not JSON. */
export async function readJson<T>(file: string): Promise<T | null> {
  const text = await readOptional(file);
  if (text === null) return null;
  try {
    return JSON.parse(text) as T;
  } catch (err) {
    throw new UsageError('ERR_RUN_FILE', `${file}: not JSON: ${(err as Error).message}`);
  }
}

function isWholeSample(s: Sample): boolean {
  const num = (x: unknown) => typeof x === 'number' && Number.isFinite(x);
  const p = s.proc as Partial<Sample['proc']> | undefined;
  const a = s.alloc as Partial<NonNullable<Sample['alloc']>> | null | undefined;
  return (
    typeof s.variant === 'string' &&
    num(s.t) &&
    num(s.phaseIndex) &&
    typeof s.phase === 'string' &&
    num(s.target) &&
    num(s.online) &&
    typeof p === 'object' &&
    p !== null &&
    num(p.rss) &&
    num(p.lazyFree) &&
    (a === null || (typeof a === 'object' && num(a.allocated) && num(a.resident) && num(a.active)))
  );
}
