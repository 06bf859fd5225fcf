// Variants that are not simload's server but a real skynet (`skynet:` in the scenario). run/ sits below fidelity/,
// which knows how to build and drive a skynet, so a run gets that from its caller through this interface
// (`simload run` passes fidelity/skynet-variant.ts) and writes their samples into the same folder.

import { UsageError } from '../errors.js';
import type { VariantOptions } from '../alloc/options.js';
import type { Scenario } from '../scenario/types.js';
import type { VariantOutcome, VariantRunContext } from './variant.js';

export interface ExternalVariantRunner {
  /**
   * Before the run folder exists: checks what the variants need (sources, the agent script, phases they can run:
   * a UsageError, exit 2, when something is missing) and builds what is not cached yet (minutes the first time).
   */
  prepare(s: Scenario, variants: VariantOptions[], log: (line: string) => void): Promise<void>;
  /** Runs one variant, its samples and events into the run's folder; ends like runVariant. */
  run(v: VariantOptions, c: VariantRunContext): Promise<VariantOutcome>;
}

export function isSkynetVariant(v: VariantOptions): boolean {
  return v.skynet !== undefined;
}

/** Skynet variants need a runner: a command other than `simload run` (plan, serve) refuses them up front. */
export function requireRunner(
  s: Scenario,
  variants: VariantOptions[],
  runner: ExternalVariantRunner | undefined,
): ExternalVariantRunner | null {
  const real = variants.filter(isSkynetVariant);
  if (real.length === 0) return null;
  if (runner) return runner;
  const others = variants.filter((v) => !isSkynetVariant(v)).map((v) => v.name);
  throw new UsageError(
    'ERR_SKYNET_VARIANT',
    `${real.map((v) => v.name).join(', ')} of ${s.name} ${real.length === 1 ? 'is a real skynet' : 'are real skynets'} (\`skynet:\`), which only \`simload run\` runs` +
      (others.length > 0 ? `; the others run with --variants ${others.join(',')}` : ''),
  );
}
