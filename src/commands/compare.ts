// `simload compare BASELINE CANDIDATE`: every metric's delta per variant; exit 1 when the candidate is worse
// beyond the tolerance, 0 otherwise, 2 on bad input.
import { ExitCode, UsageError } from '../errors.js';
import { compareSummaries, formatComparison } from '../report/compare.js';
import { readSummary } from '../report/read-summary.js';
import { parseFraction } from '../units.js';
import type { SimloadCommand } from './command.js';

export const compareCommand: SimloadCommand = {
  command: 'compare <baseline> <candidate>',
  describe: 'Compare two runs (folders or summary.json files); exit 1 if the candidate is worse beyond the tolerance',
  builder: (y) =>
    y
      .positional('baseline', { type: 'string', describe: 'run folder or summary.json of the reference run', demandOption: true })
      .positional('candidate', { type: 'string', describe: 'run folder or summary.json of the run to judge', demandOption: true })
      .option('tolerance', { type: 'string', default: '10%', describe: 'relative change allowed before a worse metric fails (10% or 0.1)' })
      .option('json', { type: 'boolean', default: false, describe: 'print the comparison as JSON' })
      .example('$0 compare results/nightly-20240501-020000 results/nightly-20240502-020000', 'last night against the night before')
      .example('$0 compare old/summary.json results/ramp-20240501-120000 --tolerance 5%', 'a stored summary against a run folder, 5% allowed')
      .epilogue('Exit: 0 no metric worse beyond the tolerance, 1 worse, 2 bad input, 4 either side is an INVALID run (did not deliver its load).'),
  handler: async (argv) => {
    const tolerance = parseFraction(String(argv.tolerance));
    if (tolerance === null || tolerance < 0) {
      throw new UsageError('ERR_TOLERANCE', `--tolerance: expected a fraction such as 10% or 0.1, got "${String(argv.tolerance)}"`);
    }
    const baseline = await readSummary(String(argv.baseline));
    const candidate = await readSummary(String(argv.candidate));
    const shared = baseline.variants.filter((b) => candidate.variants.some((c) => c.variant === b.variant));
    if (shared.length === 0) {
      throw new UsageError(
        'ERR_COMPARE_VARIANTS',
        `nothing to compare: baseline has variants [${baseline.variants.map((v) => v.variant).join(', ')}], candidate has [${candidate.variants.map((v) => v.variant).join(', ')}]`,
      );
    }
    const c = compareSummaries(baseline, candidate, tolerance);
    if (argv.json) process.stdout.write(JSON.stringify(c, null, 2) + '\n');
    else process.stdout.write(formatComparison(c, { baseline: String(argv.baseline), candidate: String(argv.candidate) }));
    if (c.invalid.length > 0) return ExitCode.invalid;
    return c.regressions.length ? ExitCode.checkFailed : ExitCode.ok;
  },
};
