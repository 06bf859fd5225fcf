// `--variants a,b`: the variant names a command keeps, shared by `run` and `plan`.

import { UsageError } from '../errors.js';

/** The names given, trimmed; undefined when the flag is absent. `--variants ''` is a mistake, not "every variant". */
export function parseVariantsFlag(value: unknown): string[] | undefined {
  if (typeof value !== 'string') return undefined;
  const names = value
    .split(',')
    .map((v) => v.trim())
    .filter(Boolean);
  if (names.length === 0)
    throw new UsageError(
      'ERR_UNKNOWN_VARIANT',
      '--variants needs at least one variant name, e.g. --variants madv-free',
    );
  return names;
}
