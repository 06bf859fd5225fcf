// `simload fidelity`'s comparison of two run folders, a simload run and a skynet run of one scenario: each variant
// beside the other folder's variant of the same name (analysis/fidelity.ts makes the rows). Pure.
import { fidelityTables, type FidelityPair, type FidelityTable } from '../analysis/fidelity.js';
import { summarize, type RunData } from '../analysis/index.js';

export function compareFidelity(simRun: RunData, skyRun: RunData): FidelityTable[] {
  const sim = summarize(simRun);
  const sky = summarize(skyRun);
  const pairs: FidelityPair[] = sky.variants
    .filter((k) => sim.variants.some((v) => v.variant === k.variant))
    .map((k) => {
      const build = skyRun.scenario?.variants.find((v) => v.name === k.variant)?.build;
      return { simload: k.variant, skynet: k.variant, ...(build !== undefined ? { build } : {}) };
    });
  return fidelityTables(
    { samples: simRun.samples, scenario: simRun.scenario, variants: sim.variants },
    { samples: skyRun.samples, scenario: skyRun.scenario, variants: sky.variants },
    pairs,
  );
}
