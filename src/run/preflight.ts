// Checks made before a run folder exists: anything that would fail later for a reason the user can fix now
// (a variant name, a missing build, a phase this simload lacks, too few file descriptors) is a usage error.

import { readFileSync } from 'node:fs';
import { resolveVariant } from '../alloc/variants.js';
import { UsageError } from '../errors.js';
import { hasShape } from '../driver/shape.js';
import '../driver/shapes/index.js';
import type { VariantOptions } from '../alloc/options.js';
import type { Scenario } from '../scenario/types.js';
import { peakPlayers } from '../scenario/peak.js';

/** The variants to run, in scenario order; `names` (from --variants) must all exist. */
export function selectVariants(s: Scenario, names: string[] | undefined): VariantOptions[] {
  if (!names || names.length === 0) return s.variants;
  const known = s.variants.map((v) => v.name);
  const unknown = names.filter((n) => !known.includes(n));
  if (unknown.length > 0) {
    throw new UsageError(
      'ERR_UNKNOWN_VARIANT',
      `--variants: no variant ${unknown.map((n) => `"${n}"`).join(', ')} in ${s.name} (variants: ${known.join(', ')})`,
    );
  }
  return s.variants.filter((v) => names.includes(v.name));
}

/** Bot connections at the peak: one per player, or with multiplexing up to N players per connection per bot worker. */
export function botSockets(s: Scenario): number {
  const peak = peakPlayers(s);
  const perConn = s.load.playersPerConnection ?? 1;
  if (perConn <= 1) return peak;
  const workers = Math.max(1, s.load.botWorkers);
  // The pool spreads players evenly over workers; a worker's links fill before it opens another.
  return workers * Math.ceil(Math.ceil(peak / workers) / perConn);
}

export function totalDurationMs(s: Scenario): number {
  return (s.record.baselineMs ?? 0) + s.load.phases.reduce((a, p) => a + p.durationMs, 0);
}

/** Soft limit of open files of this process, or null when unknown. */
export function openFileLimit(): number | null {
  try {
    const m = /^Max open files\s+(\d+|unlimited)/m.exec(readFileSync('/proc/self/limits', 'utf8'));
    if (!m) return null;
    return m[1] === 'unlimited' ? Infinity : Number(m[1]);
  } catch {
    return null;
  }
}

export async function preflight(s: Scenario, variants: VariantOptions[], parallel: boolean): Promise<void> {
  const problems: string[] = [];
  for (const kind of new Set(s.load.phases.map((p) => p.kind))) {
    if (!hasShape(kind)) problems.push(`no load shape for phase "${kind}"`);
  }
  // Each bot connection is one socket in this process (and one in the server, which has the same limit).
  const sockets = botSockets(s) * (parallel ? variants.length : 1);
  const limit = openFileLimit();
  if (limit !== null && sockets + 256 > limit) {
    const players = peakPlayers(s) * (parallel ? variants.length : 1);
    const perConn = s.load.playersPerConnection ?? 1;
    problems.push(
      `the peak of ${players} players needs ${sockets + 256} open files in simload, but the limit is ${limit} ` +
        (perConn > 1
          ? '(raise it with `ulimit -n`, or raise load.players_per_connection)'
          : '(raise it with `ulimit -n`, or multiplex players with load.players_per_connection, e.g. 1000)'),
    );
  }
  // The allocator catalog is the authority on builds: a build not built yet fails here, not mid-run.
  for (const v of variants) {
    try {
      resolveVariant(v);
    } catch (err) {
      problems.push((err as Error).message);
    }
  }
  if (problems.length > 0)
    throw new UsageError(
      'ERR_PREFLIGHT',
      problems.length === 1 ? problems[0]! : `cannot run ${s.name}:\n${problems.map((p) => `  ${p}`).join('\n')}`,
    );
}
