// `simload run <scenario>`: runs a scenario file and reports where the memory went. Ctrl-C or SIGTERM stop
// the bots and servers, keep everything recorded so far and exit 130; a second Ctrl-C kills at once.
import { UsageError } from '../errors.js';
import type { SimloadCommand } from './command.js';
import { liveOption, metricsOption, startLiveOutputs } from './live-flags.js';
import { parseVariantsFlag } from './variants-flag.js';
import { checkWritable } from './writable.js';

export const runCommand: SimloadCommand = {
  command: 'run <scenario>',
  describe: 'Ramp players up and down against a server per allocator variant; record and report its memory',
  builder: (y) =>
    liveOption(metricsOption(y))
      .positional('scenario', {
        type: 'string',
        describe: 'a scenario file, e.g. scenarios/ramp.yaml',
        demandOption: true,
      })
      .option('parallel', {
        type: 'boolean',
        default: false,
        describe: 'run the variants side by side (they then share the CPUs)',
      })
      .option('variants', {
        type: 'string',
        describe: 'run only these variants, comma-separated (e.g. madv-free,no-madv-free)',
      })
      .option('out', {
        type: 'string',
        describe: "base folder of the run folder (default: the scenario's output.dir, else results)",
      })
      .option('junit', { type: 'string', describe: "write the scenario's expect: results as JUnit XML to this file" })
      .option('json', {
        type: 'boolean',
        default: false,
        describe: 'print the summary as JSON on stdout (table and messages go to stderr)',
      })
      .option('quiet', {
        type: 'boolean',
        default: false,
        describe: 'no progress and no table (failed thresholds are still listed)',
      })
      .example(
        '$0 run scenarios/ramp.yaml',
        'the story: 8 000 players, ramp down to a third, madv-free vs no-madv-free',
      )
      .example(
        '$0 run scenarios/nightly.yaml --junit junit.xml',
        'a short run with thresholds for CI; exits 1 if one fails',
      )
      .example('$0 run scenarios/ramp.yaml --variants madv-free --out /tmp/r', 'one variant, results under /tmp/r')
      .example('$0 run scenarios/ramp.yaml --parallel', 'both variants at once (faster, but they compete for CPU)')
      .example(
        '$0 run scenarios/ramp.yaml --metrics 9464 --live 8080',
        'Prometheus metrics on 127.0.0.1:9464, a live page on http://127.0.0.1:8080/',
      )
      .example(
        '$0 run bench/fidelity-run.yaml',
        'simload beside a real skynet (a variant with `skynet: madv-free`): one folder, one report with the fidelity rows',
      )
      .example('$0 schema --out scenario.schema.json', 'the JSON Schema of scenario files, for your editor')
      .epilogue(
        [
          'Writes results/<scenario>-<timestamp>/ (samples, events, latency, summary.json, report.html, chart.svg).',
          'Scenario format: docs/scenario.md; `simload schema` gives editors completion.',
          'Ctrl-C stops bots and servers and keeps what was recorded; a second Ctrl-C kills at once.',
          'Exit: 0 ok, 1 a threshold failed, 2 bad scenario or flags, 3 run failed, 4 INVALID run (the load asked for was not delivered), 130 interrupted.',
        ].join('\n'),
      ),
  handler: async (argv) => {
    // The signals first: a Ctrl-C or SIGTERM while the code loads, the scenario is read or --live starts ends as
    // one during the run does (exit 130, no server, no listening socket), not with Node's default death.
    const { interruptedError, withInterrupt } = await import('../run/interrupt.js');
    return withInterrupt(async (signal) => {
      // `--out` with no value and `--variants ''` are mistakes, not "the current folder" and "every variant".
      if (argv.out === '') throw new UsageError('ERR_OUT', '--out needs a folder, e.g. --out /tmp/results');
      const variants = parseVariantsFlag(argv.variants);
      if (typeof argv.junit === 'string') checkWritable(argv.junit, '--junit');
      const [{ skynetVariants }, { runScenario }, { loadScenario }] = await Promise.all([
        import('../fidelity/skynet-variant.js'),
        import('../run/run.js'),
        import('../scenario/load.js'),
      ]);
      const { scenario, text } = await loadScenario(String(argv.scenario));
      const live = await startLiveOutputs(argv, (line) => process.stderr.write(`simload: ${line}\n`));
      try {
        // Interrupted before anything ran: no run folder to keep.
        if (signal.aborted) throw interruptedError(signal, 'before the run started, nothing was recorded');
        const json = Boolean(argv.json);
        const r = await runScenario(scenario, text, {
          live,
          parallel: Boolean(argv.parallel),
          ...(variants ? { variants } : {}),
          ...(typeof argv.out === 'string' ? { outDir: argv.out } : {}),
          ...(typeof argv.junit === 'string' ? { junit: argv.junit } : {}),
          quiet: Boolean(argv.quiet),
          skynet: skynetVariants(),
          signal,
          out: json ? process.stderr : process.stdout,
        });
        if (json) process.stdout.write(JSON.stringify(r.summary, null, 2) + '\n');
        return r.exitCode;
      } finally {
        await live?.close();
      }
    });
  },
};
