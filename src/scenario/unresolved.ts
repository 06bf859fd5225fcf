// A scenario may name an environment variable (`jemalloc: ${SIMLOAD_JEMALLOC_5_0_1}`) that a user never set: the
// file is still valid and readable, and only the variants that need the variable cannot run. Running them is a
// usage error (exit 2) naming each variable and its line, and which variants could run instead.

import type { VariantOptions } from '../alloc/options.js';
import { UsageError } from '../errors.js';
import type { Scenario } from './types.js';

export function requireResolved(s: Scenario, selected: VariantOptions[]): void {
  const cannot = selected.filter((v) => v.unresolved !== undefined);
  if (cannot.length === 0) return;
  const others = s.variants.filter((v) => v.unresolved === undefined).map((v) => v.name);
  const hint = others.length > 0 ? `; the others run with --variants ${others.join(',')}` : '';
  throw new UsageError(
    'ERR_SCENARIO_ENV',
    `${cannot.length} variant(s) of ${s.name} cannot run: their scenario names an environment variable that is not set\n` +
      cannot.map((v) => `  ${v.name}: ${v.unresolved}`).join('\n') +
      `\n(the rest of the scenario is valid${hint})`,
  );
}
