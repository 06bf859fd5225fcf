// Structural validation against the JSON Schema with ajv, turned into problems a user can act on: ajv's
// errors for each anyOf branch are folded into the one message the schema gives (`errorMessage`), unknown
// keys get a "did you mean", and every problem keeps its data path for the locator.

import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import { didYouMean, type PathPart } from './problems.js';
import { scenarioSchema } from './schema.js';

export interface RawProblem {
  path: PathPart[];
  message: string;
  /** Point at the key itself (unknown keys) rather than its value. */
  atKey?: boolean;
}

let compiled: ValidateFunction | null = null;

function validator(): ValidateFunction {
  if (compiled) return compiled;
  const ajv = new Ajv({ allErrors: true, verbose: true, strict: true, allowUnionTypes: true });
  // An annotation only: the loader reads it from `parentSchema`.
  ajv.addKeyword({ keyword: 'errorMessage', schemaType: 'string' });
  compiled = ajv.compile(scenarioSchema());
  return compiled;
}

export function validateStructure(data: unknown): RawProblem[] {
  const validate = validator();
  if (validate(data)) return [];
  return foldErrors(data, validate.errors ?? []);
}

function foldErrors(data: unknown, errors: ErrorObject[]): RawProblem[] {
  // Pointers where an anyOf failed: their branch errors are replaced by one message.
  const anyOfAt = new Map<string, ErrorObject>();
  for (const e of errors) {
    if ((e.keyword === 'anyOf' || e.keyword === 'oneOf') && typeof e.parentSchema?.errorMessage === 'string') {
      anyOfAt.set(e.instancePath, e); // ajv reports inner ones first: the last is the outermost
    }
  }
  const out: RawProblem[] = [];
  const seen = new Set<string>();
  const push = (p: RawProblem) => {
    const k = `${p.path.join('\u0000')}\u0001${p.message}`;
    if (seen.has(k)) return;
    seen.add(k);
    out.push(p);
  };
  for (const [ptr, e] of anyOfAt) {
    const value = valueAt(data, ptr);
    const container = value !== null && typeof value === 'object';
    // A scalar matched no branch: the whole message. A mapping or list chose its branch by type: its own
    // errors (unknown keys, missing keys, bad items) say more, unless there are none.
    const specific =
      container &&
      errors.some(
        (x) => x.instancePath.startsWith(`${ptr}/`) || (x.instancePath === ptr && !SHAPE_KEYWORDS.has(x.keyword)),
      );
    if (!specific) push({ path: toPath(data, ptr), message: String(e.parentSchema!.errorMessage) });
  }
  for (const e of errors) {
    if (e.keyword === 'anyOf' || e.keyword === 'oneOf') continue;
    // At an anyOf's pointer: a scalar is covered by the one message; a container keeps its specific errors.
    if (anyOfAt.has(e.instancePath) && (!isContainer(valueAt(data, e.instancePath)) || SHAPE_KEYWORDS.has(e.keyword)))
      continue;
    const p = describe(data, e);
    if (p) push(p);
  }
  return out;
}

/** Keywords that only say "this branch has another shape". */
const SHAPE_KEYWORDS = new Set(['type', 'anyOf', 'oneOf', 'pattern']);

function isContainer(v: unknown): boolean {
  return v !== null && typeof v === 'object';
}

function describe(data: unknown, e: ErrorObject): RawProblem | null {
  const path = toPath(data, e.instancePath);
  const own = typeof e.parentSchema?.errorMessage === 'string' ? (e.parentSchema.errorMessage as string) : null;
  const params = e.params as Record<string, unknown>;
  switch (e.keyword) {
    case 'additionalProperties': {
      const key = String(params.additionalProperty);
      const known = Object.keys((e.parentSchema?.properties as Record<string, unknown> | undefined) ?? {});
      return { path: [...path, key], message: `unknown key "${key}"${didYouMean(key, known)}`, atKey: true };
    }
    case 'required':
      return { path, message: `missing required key "${String(params.missingProperty)}"` };
    case 'type':
      return { path, message: own ?? `expected ${typeName(String(params.type))}, got ${shown(e.data)}` };
    case 'enum': {
      // a value allowed both as text and as a YAML number (lua: 5.4) is named once
      const allowed = [...new Set((params.allowedValues as unknown[]).map(String))];
      return {
        path,
        message: `expected one of ${allowed.join(', ')}, got ${shown(e.data)}${didYouMean(String(e.data), allowed)}`,
      };
    }
    case 'minimum':
    case 'maximum':
    case 'exclusiveMinimum':
    case 'exclusiveMaximum':
      return { path, message: `must be ${String(params.comparison)} ${String(params.limit)}, got ${shown(e.data)}` };
    case 'minItems':
      return { path, message: `needs at least ${String(params.limit)} item${params.limit === 1 ? '' : 's'}` };
    case 'minLength':
      return { path, message: 'must not be empty' };
    case 'minProperties':
    case 'maxProperties':
      return { path, message: own ?? e.message ?? e.keyword };
    case 'pattern':
      return { path, message: own ?? `${shown(e.data)} does not match ${String(params.pattern)}` };
    default:
      return { path, message: own ?? e.message ?? e.keyword };
  }
}

function typeName(t: string): string {
  const names: Record<string, string> = {
    object: 'a mapping (key: value)',
    array: 'a list',
    string: 'text',
    integer: 'a whole number',
    number: 'a number',
    boolean: 'true or false',
    null: 'nothing',
  };
  return t
    .split(',')
    .map((x) => names[x] ?? x)
    .join(' or ');
}

export function shown(v: unknown): string {
  if (v === null || v === undefined) return 'nothing';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'a mapping';
  if (typeof v === 'string') return JSON.stringify(v.length > 40 ? `${v.slice(0, 37)}...` : v);
  return String(v);
}

/** JSON pointer -> path parts (numbers for list indexes). */
function toPath(data: unknown, ptr: string): PathPart[] {
  if (ptr === '') return [];
  const out: PathPart[] = [];
  let cur: unknown = data;
  for (const raw of ptr.slice(1).split('/')) {
    const key = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (Array.isArray(cur)) {
      out.push(Number(key));
      cur = cur[Number(key)];
    } else {
      out.push(key);
      cur = cur !== null && typeof cur === 'object' ? (cur as Record<string, unknown>)[key] : undefined;
    }
  }
  return out;
}

function valueAt(data: unknown, ptr: string): unknown {
  let cur: unknown = data;
  if (ptr === '') return cur;
  for (const raw of ptr.slice(1).split('/')) {
    const key = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string, unknown>)[key];
  }
  return cur;
}
