// Reads a scenario file: YAML syntax, then the JSON Schema, then the semantic checks; every problem of every
// stage that can run is reported at once, each as `file:line:col path: message`, in file order.
// Nothing in a scenario executes code: YAML tags beyond the plain data types are rejected.

import { dirname, resolve } from 'node:path';
import { isNode, isPair, isScalar, isSeq, LineCounter, parseDocument, visit, type Document } from 'yaml';
import { UsageError } from '../errors.js';
import { readInputFile } from '../input-file.js';
import { Locator } from './locate.js';
import { formatPath, formatProblem, ScenarioError, type PathPart, type ScenarioProblem } from './problems.js';
import { Resolver } from './resolve.js';
import type { Scenario } from './types.js';
import { validateStructure, type RawProblem } from './validate.js';

/** Tags of plain data (YAML 1.2 core schema). Anything else would ask the loader to construct something. */
const PLAIN_TAGS = new Set(['str', 'int', 'float', 'bool', 'null', 'map', 'seq'].map((t) => `tag:yaml.org,2002:${t}`));

/** A scenario is a page of YAML; anything near this is a mistake (or /dev/zero), and is refused before it is read. */
export const MAX_SCENARIO_BYTES = 1024 * 1024;

export async function loadScenario(file: string): Promise<{ scenario: Scenario; text: string }> {
  const r = readInputFile(file, MAX_SCENARIO_BYTES);
  if ('problem' in r) throw new UsageError('ERR_SCENARIO_READ', `${file}: ${r.problem}`);
  return { scenario: parseScenario(r.text, file), text: r.text };
}

/**
 * Parses and validates scenario text. `file` names it in messages (shown as given, e.g. `ramp.yaml`); its
 * folder is where relative `lib:` paths start.
 */
export function parseScenario(text: string, file: string): Scenario {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true, strict: true });
  const shownFile = file;
  const problems: ScenarioProblem[] = [];

  for (const e of doc.errors) {
    const pos = e.linePos?.[0] ?? lineCounter.linePos(e.pos[0]);
    problems.push({
      file: shownFile,
      line: pos.line,
      col: pos.col,
      path: '',
      message: `YAML: ${firstLine(e.message)}`,
    });
  }
  const locator = new Locator(doc, lineCounter);
  problems.push(...tagProblems(doc, text, locator, shownFile));
  if (problems.length > 0) throw new ScenarioError(sortProblems(problems));

  let data: unknown;
  try {
    data = doc.toJS({ maxAliasCount: 100 });
  } catch (err) {
    throw new ScenarioError([
      { file: shownFile, line: 1, col: 1, path: '', message: `YAML: ${firstLine((err as Error).message)}` },
    ]);
  }
  if (data === null || data === undefined) {
    throw new ScenarioError([
      {
        file: shownFile,
        line: 1,
        col: 1,
        path: '',
        message: 'the file is empty: a scenario needs at least name, variants and load',
      },
    ]);
  }

  const raw: RawProblem[] = validateStructure(data);
  const resolver = new Resolver(dirname(resolve(file)));
  const scenario = resolver.resolve(data, resolve(file));
  raw.push(...resolver.problems);

  const seen = new Set<string>();
  for (const r of raw) {
    const pos = r.atKey ? locator.key(r.path) : locator.value(r.path);
    const p: ScenarioProblem = {
      file: shownFile,
      line: pos.line,
      col: pos.col,
      path: formatPath(r.path),
      message: r.message,
    };
    const key = `${p.path}\u0000${p.message}`;
    if (seen.has(key)) continue;
    seen.add(key);
    problems.push(p);
  }
  if (problems.length > 0 || !scenario) {
    throw new ScenarioError(
      problems.length
        ? sortProblems(problems)
        : [{ file: shownFile, line: 1, col: 1, path: '', message: 'not a scenario' }],
    );
  }
  // Valid as written; what needs the environment stays on its variant, refused only when that variant runs.
  for (const u of resolver.unresolved) {
    const pos = locator.value(u.path);
    u.variant.unresolved = formatProblem({
      file: shownFile,
      line: pos.line,
      col: pos.col,
      path: formatPath(u.path),
      message: u.message,
    });
  }
  return scenario;
}

function tagProblems(doc: Document.Parsed, text: string, locator: Locator, file: string): ScenarioProblem[] {
  const out: ScenarioProblem[] = [];
  visit(doc, (_key, node, ancestors) => {
    if (!isNode(node) || !node.tag || PLAIN_TAGS.has(node.tag)) return;
    // Point at the tag as written (`!!js/function`), which comes before the node's own range.
    const start = node.range?.[0] ?? 0;
    const m = /!\S*\s*$/.exec(text.slice(Math.max(0, start - 200), start));
    const written = m ? m[0].trim() : node.tag;
    const pos = locator.pos(m ? start - m[0].length : start);
    out.push({
      file,
      line: pos.line,
      col: pos.col,
      path: formatPath(dataPath([...ancestors, node])),
      message: `YAML tag ${written} is not allowed: a scenario is plain data and nothing in it runs code`,
    });
  });
  return out;
}

/** Data path of a node from the visitor's ancestors (pairs give keys, sequences give indexes). */
function dataPath(chain: readonly unknown[]): PathPart[] {
  const out: PathPart[] = [];
  for (let i = 0; i < chain.length - 1; i++) {
    const a = chain[i];
    if (isPair(a) && isScalar(a.key)) out.push(String(a.key.value));
    else if (isSeq(a)) out.push(a.items.indexOf(chain[i + 1] as never));
  }
  return out;
}

function sortProblems(ps: ScenarioProblem[]): ScenarioProblem[] {
  return ps.sort((a, b) => a.line - b.line || a.col - b.col || a.path.localeCompare(b.path));
}

function firstLine(s: string): string {
  return s.split('\n')[0]!.trim();
}

export type { PathPart };
