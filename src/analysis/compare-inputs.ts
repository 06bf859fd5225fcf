// What `simload compare` is given, read and checked before any metric is: each side is one run (a run folder or
// a summary.json), a comma-separated list of them, or a folder holding run folders (N nightly runs). A side that
// holds a run which did not complete measured part of the scenario, and runs of different scenarios measure
// different things: both are refused with their own exit code, never compared as if fine.

import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { ExitCode, SimloadError, UsageError } from '../errors.js';
import { RESULT_FILES } from '../results/layout.js';
import { readSummary } from './read-summary.js';
import type { Summary } from './summary.js';

export interface Run {
  path: string;
  summary: Summary;
}

/** The runs one side names. */
export async function readSide(arg: string): Promise<Run[]> {
  const paths = arg
    .split(',')
    .map((p) => p.trim())
    .filter((p) => p !== '');
  if (paths.length === 0)
    throw new UsageError(
      'ERR_NO_RUN',
      `expected a run folder, summary.json, a list of them or a folder of run folders, got "${arg}"`,
    );
  const out: Run[] = [];
  for (const p of paths) {
    for (const path of await expand(p)) out.push({ path, summary: await readSummary(path) });
  }
  return out;
}

async function expand(path: string): Promise<string[]> {
  const st = await stat(path).catch(() => null);
  if (!st?.isDirectory()) return [path];
  const own = await Promise.all(
    [RESULT_FILES.samples, RESULT_FILES.summary].map((f) => stat(join(path, f)).catch(() => null)),
  );
  if (own.some((x) => x !== null)) return [path];
  const runs: string[] = [];
  for (const name of (await readdir(path)).sort()) {
    const sub = join(path, name);
    const files = await Promise.all(
      [RESULT_FILES.samples, RESULT_FILES.summary].map((f) => stat(join(sub, f)).catch(() => null)),
    );
    if (files.some((x) => x !== null)) runs.push(sub);
  }
  return runs.length > 0 ? runs : [path];
}

/** A run that did not complete (failed, interrupted, still running) on either side: exit 3. */
export function requireComplete(side: 'baseline' | 'candidate', runs: Run[]): void {
  const bad = runs.filter((r) => r.summary.status !== null && r.summary.status !== 'complete');
  if (bad.length === 0) return;
  throw new SimloadError(
    'ERR_COMPARE_INCOMPLETE',
    `the ${side} holds ${bad.length === 1 ? 'a run' : `${bad.length} runs`} that did not complete, which measured only part of the scenario:\n` +
      bad.map((r) => `  ${r.path}: ${r.summary.status}`).join('\n'),
    ExitCode.runtime,
  );
}

/** Runs of different scenarios (by name) compare different things: exit 2 unless the user says so. */
export function requireSameScenario(runs: Run[], allowed: boolean): string[] {
  const names = [...new Set(runs.map((r) => r.summary.scenario).filter((n): n is string => n !== null))];
  if (names.length <= 1) return [];
  const list = names.map((n) => `"${n}"`).join(', ');
  if (!allowed) {
    throw new UsageError(
      'ERR_COMPARE_SCENARIOS',
      `these runs are of different scenarios (${list}); to compare them anyway, pass --any-scenario`,
    );
  }
  return [`runs of different scenarios compared (${list}), as --any-scenario asked`];
}
