// `simload plan <scenario> --budget 4GiB`: how many players fit in a memory budget, per allocator variant.
// Ctrl-C or SIGTERM stop the current run, keep everything measured so far (plan.json included) and exit 130.
import { UsageError } from '../errors.js';
import { parseFraction, parseSize } from '../units.js';
import type { SimloadCommand } from './command.js';
import { parseVariantsFlag } from './variants-flag.js';

export const planCommand: SimloadCommand = {
  command: 'plan <scenario>',
  describe:
    'Find how many players fit in a memory budget: a sweep of runs, a straight-line fit, an optional check under a hard limit',
  builder: (y) =>
    y
      .positional('scenario', {
        type: 'string',
        describe: 'a scenario file whose shape is scaled, e.g. scenarios/ramp.yaml',
        demandOption: true,
      })
      .option('budget', { type: 'string', demandOption: true, describe: 'memory one server may use, e.g. 4GiB' })
      .option('headroom', { type: 'string', default: '10%', describe: 'share of the budget kept free' })
      .option('points', {
        type: 'number',
        default: 3,
        describe: 'runs in the sweep (peaks evenly spaced up to the largest)',
      })
      .option('max-players', { type: 'number', describe: "largest peak of the sweep (default: the scenario's peak)" })
      .option('variants', { type: 'string', describe: 'plan only these variants, comma-separated' })
      .option('verify', {
        type: 'boolean',
        default: false,
        describe:
          'run the recommended count under the budget as a hard cgroup limit (needs root); exit 1 if the server is killed',
      })
      .option('out', {
        type: 'string',
        describe: "base folder of the plan folder (default: the scenario's output.dir)",
      })
      .option('quiet', { type: 'boolean', default: false, describe: 'no progress from the runs' })
      .example('$0 plan scenarios/ramp.yaml --budget 4GiB', 'three runs per variant, a recommendation per variant')
      .example(
        '$0 plan scenarios/ramp.yaml --budget 4GiB --verify',
        'then confirm each recommendation under a 4 GiB memory limit',
      )
      .epilogue(
        [
          'Writes results/<scenario>-plan-<timestamp>/: plan.json, report.html (every run as variant@players, and the',
          'fitted lines), runs/ (each run folder). Docs: docs/plan.md.',
          'Exit codes: 0 ok, 1 --verify failed, 2 bad scenario or flags, 3 a run failed (results kept), 130 interrupted.',
        ].join('\n'),
      ),
  handler: async (argv) => {
    // The signals first: a Ctrl-C while the code loads or the scenario is read ends with exit 130 too.
    const { interruptedError, withInterrupt } = await import('../run/interrupt.js');
    return withInterrupt(async (signal) => {
      const { runPlan } = await import('../plan/plan.js');
      const { loadScenario } = await import('../scenario/load.js');
      const budget = parseSize(String(argv.budget));
      if (budget === null || budget <= 0)
        throw new UsageError(
          'ERR_PLAN_BUDGET',
          `--budget: expected a size such as 4GiB or 1500MB, got "${String(argv.budget)}"`,
        );
      const headroom = parseFraction(String(argv.headroom));
      if (headroom === null || headroom < 0 || headroom >= 1) {
        throw new UsageError(
          'ERR_PLAN_HEADROOM',
          `--headroom: expected a share from 0% to below 100% such as 10%, got "${String(argv.headroom)}"`,
        );
      }
      const points = Number(argv.points);
      const maxPlayers = argv['max-players'] === undefined ? undefined : Number(argv['max-players']);
      if (argv.out === '') throw new UsageError('ERR_OUT', '--out needs a folder, e.g. --out /tmp/plans');
      const variants = parseVariantsFlag(argv.variants);
      const { scenario, text } = await loadScenario(String(argv.scenario));
      if (signal.aborted) throw interruptedError(signal, 'before the plan started, nothing was recorded');
      const r = await runPlan(scenario, text, {
        budgetBytes: budget,
        headroom,
        points,
        ...(maxPlayers !== undefined ? { maxPlayers } : {}),
        ...(variants ? { variants } : {}),
        verify: Boolean(argv.verify),
        ...(typeof argv.out === 'string' ? { outDir: argv.out } : {}),
        quiet: Boolean(argv.quiet),
        signal,
      });
      return r.exitCode;
    });
  },
};
