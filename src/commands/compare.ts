// `simload compare BASELINE CANDIDATE`: every metric's delta per variant, judged against its noise floor; exit 1
// when a metric that decides the verdict is worse beyond it. Each side is a run, a list of runs or a folder of
// runs (medians per metric). Runs that did not complete, INVALID runs and runs of different scenarios are
// refused with their own exit codes.
import { UsageError } from '../errors.js';
import { parseFraction } from '../units.js';
import type { SimloadCommand } from './command.js';

export const compareCommand: SimloadCommand = {
  command: 'compare <baseline> <candidate>',
  describe:
    'Compare runs (folders, summary.json files, lists or folders of runs); exit 1 if the candidate is worse beyond the noise',
  builder: (y) =>
    y
      .positional('baseline', {
        type: 'string',
        describe:
          'the reference: a run folder, summary.json, a comma-separated list of them, or a folder of run folders',
        demandOption: true,
      })
      .positional('candidate', {
        type: 'string',
        describe: 'the runs to judge, given the same way',
        demandOption: true,
      })
      .option('tolerance', {
        type: 'string',
        default: '10%',
        describe: "relative change allowed before a worse metric fails (10% or 0.1), beside each metric's noise floor",
      })
      .option('any-scenario', {
        type: 'boolean',
        default: false,
        describe: 'compare runs of different scenarios (refused otherwise)',
      })
      .option('json', { type: 'boolean', default: false, describe: 'print the comparison as JSON' })
      .example(
        '$0 compare results/nightly-20240501-020000 results/nightly-20240502-020000',
        'last night against the night before',
      )
      .example(
        '$0 compare nightly/base nightly/tonight',
        'N runs per side (folders of run folders): medians, judged against the noise floors',
      )
      .example(
        '$0 compare old/summary.json results/ramp-20240501-120000 --tolerance 5%',
        'a stored summary against a run folder, 5% allowed',
      )
      .epilogue(
        [
          'A change counts when it is beyond both the tolerance and the metric\'s noise floor (docs/report.md, "compare");',
          'the output says which metrics decide the verdict and which are shown for information.',
          'Exit: 0 no deciding metric worse, 1 worse, 2 bad input or runs of different scenarios, 3 a run that did not',
          'complete (failed, interrupted, still running), 4 either side holds an INVALID run (did not deliver its load).',
        ].join('\n'),
      ),
  handler: async (argv) => {
    const { compareRuns, compareVerdict } = await import('../analysis/compare.js');
    const { formatComparison } = await import('../report/compare-text.js');
    const { readSide, requireComplete, requireSameScenario } = await import('../analysis/compare-inputs.js');
    const tolerance = parseFraction(String(argv.tolerance));
    if (tolerance === null || tolerance < 0) {
      throw new UsageError(
        'ERR_TOLERANCE',
        `--tolerance: expected a fraction such as 10% or 0.1, got "${String(argv.tolerance)}"`,
      );
    }
    const baseline = await readSide(String(argv.baseline));
    const candidate = await readSide(String(argv.candidate));
    const notes = requireSameScenario([...baseline, ...candidate], Boolean(argv['any-scenario']));
    requireComplete('baseline', baseline);
    requireComplete('candidate', candidate);
    const names = (runs: typeof baseline) => [
      ...new Set(runs.flatMap((r) => r.summary.variants.map((v) => v.variant))),
    ];
    if (!names(baseline).some((n) => names(candidate).includes(n))) {
      throw new UsageError(
        'ERR_COMPARE_VARIANTS',
        `nothing to compare: baseline has variants [${names(baseline).join(', ')}], candidate has [${names(candidate).join(', ')}]`,
      );
    }
    const c = compareRuns(
      baseline.map((r) => r.summary),
      candidate.map((r) => r.summary),
      tolerance,
    );
    const label = (runs: typeof baseline, arg: unknown) =>
      runs.length === 1 ? runs[0]!.path : `${String(arg)} (${runs.length} runs)`;
    if (argv.json) process.stdout.write(JSON.stringify({ ...c, notes }, null, 2) + '\n');
    else
      process.stdout.write(
        notes.map((n) => `note: ${n}\n`).join('') +
          formatComparison(c, {
            baseline: label(baseline, argv.baseline),
            candidate: label(candidate, argv.candidate),
          }),
      );
    return compareVerdict(c).exitCode;
  },
};
