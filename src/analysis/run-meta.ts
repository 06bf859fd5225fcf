// run.json as read back: a hand edit or another tool's file can hold anything, and the report reads its fields
// everywhere (the verdict, the header, the variant list). Checked once here, so a wrong type is a clear error
// naming the field (exit 2), not a TypeError deep in the report.

import type { RunMeta } from '../results/layout.js';

const STATUSES = new Set(['running', 'complete', 'interrupted', 'failed']);

const isStr = (v: unknown): v is string => typeof v === 'string';
const isNum = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Every field of run.json whose type is wrong, as `field: expected ..., got ...`; empty when it is usable. */
export function runMetaProblems(m: unknown): string[] {
  if (!isObj(m)) return [`expected an object, got ${describe(m)}`];
  const p: string[] = [];
  const want = (field: string, ok: boolean, what: string) => {
    if (!ok) p.push(`${field}: expected ${what}, got ${describe(m[field])}`);
  };
  want('status', isStr(m.status) && STATUSES.has(m.status), `one of ${[...STATUSES].join(', ')}`);
  want('scenario', isStr(m.scenario), 'a name');
  want('variants', Array.isArray(m.variants) && m.variants.every(isStr), 'a list of variant names');
  want('startedAt', isStr(m.startedAt), 'a time');
  want('endedAt', m.endedAt === undefined || m.endedAt === null || isStr(m.endedAt), 'a time or null');
  want('parallel', m.parallel === undefined || typeof m.parallel === 'boolean', 'true or false');
  want(
    'host',
    m.host === undefined || (isObj(m.host) && isNum(m.host.cpus) && isNum(m.host.memBytes)),
    'an object with cpus and memBytes',
  );
  want(
    'error',
    m.error === undefined || (isObj(m.error) && isStr(m.error.code) && isStr(m.error.message)),
    'an object with code and message',
  );
  want(
    'validity',
    m.validity === undefined ||
      (isObj(m.validity) &&
        typeof m.validity.valid === 'boolean' &&
        Array.isArray(m.validity.reasons) &&
        m.validity.reasons.every(isStr)),
    'an object with valid and reasons',
  );
  want(
    'retention',
    m.retention === undefined ||
      (isObj(m.retention) && isNum(m.retention.fullMs) && isNum(m.retention.periodMs) && m.retention.periodMs > 0),
    'an object with fullMs and periodMs',
  );
  want(
    'resumes',
    m.resumes === undefined ||
      (Array.isArray(m.resumes) && m.resumes.every((r) => isObj(r) && isNum(r.gapFromMs) && isNum(r.gapToMs))),
    'a list of restarts with gapFromMs and gapToMs',
  );
  return p;
}

export function isRunMeta(m: unknown): m is RunMeta {
  return runMetaProblems(m).length === 0;
}

function describe(v: unknown): string {
  if (v === undefined) return 'nothing';
  const s = JSON.stringify(v);
  return s.length > 60 ? `${s.slice(0, 57)}...` : s;
}
