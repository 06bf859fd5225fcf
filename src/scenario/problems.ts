// Problems found in a scenario file, all reported at once (like a compiler), each with where and why.

import { UsageError } from '../errors.js';

export type PathPart = string | number;

export interface ScenarioProblem {
  file: string;
  /** 1-based; 0 when the position is unknown. */
  line: number;
  col: number;
  /** `load.phases[2].ramp.to`; empty for the document itself. */
  path: string;
  message: string;
}

export function formatPath(path: readonly PathPart[]): string {
  let out = '';
  for (const p of path) {
    if (typeof p === 'number') out += `[${p}]`;
    else out += out === '' ? p : `.${p}`;
  }
  return out;
}

export function formatProblem(p: ScenarioProblem): string {
  const where = p.line > 0 ? `${p.file}:${p.line}:${p.col}` : p.file;
  return p.path ? `${where} ${p.path}: ${p.message}` : `${where}: ${p.message}`;
}

/** Bad scenario: exit 2. `problems` are in file order; the message lists every one. */
export class ScenarioError extends UsageError {
  readonly problems: ScenarioProblem[];
  constructor(problems: ScenarioProblem[]) {
    const n = problems.length;
    super(
      'ERR_SCENARIO',
      `${n} problem${n === 1 ? '' : 's'} in the scenario:\n${problems.map((p) => `  ${formatProblem(p)}`).join('\n')}`,
    );
    this.name = 'ScenarioError';
    this.problems = problems;
  }
}

/** Edit distance counting a swap of neighbours as one edit (optimal string alignment); short strings only. */
export function editDistance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) =>
    Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)),
  );
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let v = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) v = Math.min(v, d[i - 2]![j - 2]! + 1);
      d[i]![j] = v;
    }
  }
  return d[a.length]![b.length]!;
}

/** ` (did you mean "x"?)` when one candidate is close, else ''. */
export function didYouMean(word: string, candidates: readonly string[]): string {
  const lower = word.toLowerCase().replace(/-/g, '_');
  let best: string | null = null;
  let bestD = Infinity;
  for (const c of candidates) {
    const d = editDistance(lower, c.toLowerCase().replace(/-/g, '_'));
    if (d < bestD) {
      bestD = d;
      best = c;
    }
  }
  // Very short words are close to everything: no guess for them.
  const limit = word.length < 3 ? 0 : Math.max(1, Math.floor(word.length / 3));
  return best !== null && bestD <= limit ? ` (did you mean "${best}"?)` : '';
}
