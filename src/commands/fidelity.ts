// `simload fidelity SCENARIO`: the scenario on simload and on a real skynet (jemalloc 5.0.1, both recipes), side by
// side with the fidelity targets (docs/fidelity.md). Flags are checked, and the scenario and agent script read,
// before anything runs; Ctrl-C keeps the pairs finished and exits 130.
import type { SimloadCommand } from './command.js';
import { parseVariantsFlag } from './variants-flag.js';

export const fidelityCommand: SimloadCommand = {
  command: 'fidelity <scenario>',
  describe:
    'Run a scenario on simload and on a real skynet (jemalloc 5.0.1) and print both side by side with the fidelity targets',
  builder: (y) =>
    y
      .positional('scenario', {
        type: 'string',
        describe: 'a scenario file, e.g. bench/fidelity-ramp-3000.yaml',
        demandOption: true,
      })
      .option('script', {
        type: 'string',
        describe: "the Lua agent script skynet's agents run (default: the scenario's server.script)",
      })
      .option('variants', {
        type: 'string',
        describe: 'only these variants, comma-separated (the skynet side runs madv-free and no-madv-free)',
      })
      .option('out', { type: 'string', describe: 'where both run folders and the record file go (default: results)' })
      .option('simload', {
        type: 'string',
        describe: "simload run folders already recorded, one per pair, comma-separated: simload's side does not run",
      })
      .option('skynet', {
        type: 'string',
        describe: "skynet run folders already recorded, one per pair, comma-separated: skynet's side does not run",
      })
      .option('transport', {
        type: 'string',
        describe:
          "how skynet's players send: gate (clients through skynet's gate, as a game's players) or driver (a service sends); default gate",
      })
      .option('repeat', {
        type: 'string',
        describe: 'pairs, one after the other, then each target row across them (default: the folders given, else 1)',
      })
      .example(
        '$0 fidelity bench/fidelity-ramp-3000.yaml',
        'simload run, then skynet run, then the table (npm run build:peers once first)',
      )
      .example('$0 fidelity my.yaml --script my_agent.lua', "the agent script skynet's agents run")
      .example('$0 fidelity my.yaml --repeat 3', 'three pairs one after the other, then each target row across them')
      .example(
        '$0 fidelity my.yaml --simload results/A --skynet results/B',
        'the table of two run folders already recorded',
      )
      .example(
        '$0 fidelity my.yaml --simload A,B,C --skynet X,Y,Z',
        'three recorded pairs (A with X, ...) and the rows across them',
      )
      .epilogue(
        [
          'Each side leaves an ordinary run folder (`simload report` renders either); the tables also go',
          'to OUT/<scenario>-fidelity-<timestamp>.json, rewritten after each pair.',
          'Your own skynet instead of the vendored one: SKYNET_SRC and SKYNET_JEMALLOC_SRC (docs/fidelity.md).',
          'Exit: 0 every target met, 1 a target missed, 2 bad flags, scenario or script, 3 a run failed,',
          '4 a side did not deliver its load (INVALID), 130 interrupted (the pairs finished are kept).',
        ].join('\n'),
      ),
  handler: async (argv) => {
    // The signals first: a Ctrl-C while the code loads or the scenario and script are read ends with exit 130 too.
    const { interruptedError, withInterrupt } = await import('../run/interrupt.js');
    return withInterrupt(async (signal) => {
      const { agentScript } = await import('../fidelity/script.js');
      const { fidelityOptions } = await import('../fidelity/options.js');
      const { runFidelitySeries } = await import('../fidelity/series.js');
      const { checkSkynetRun } = await import('../fidelity/skynet-run.js');
      const { loadScenario } = await import('../scenario/load.js');
      const variants = parseVariantsFlag(Array.isArray(argv.variants) ? argv.variants.join(',') : argv.variants);
      const o = fidelityOptions(String(argv.scenario), argv, variants);
      const { scenario, text } = await loadScenario(o.scenario);
      if (signal.aborted) throw interruptedError(signal, 'before the first pair started, nothing was recorded');
      // No skynet run, no script needed: the folders given are compared as they are.
      const script = o.skyDirs ? undefined : agentScript(scenario, o.script);
      if (script)
        checkSkynetRun(scenario, { script, transport: o.transport, ...(o.variants ? { variants: o.variants } : {}) });
      return runFidelitySeries(scenario, text, {
        ...o,
        ...(script ? { agentScript: script } : {}),
        signal,
        out: (t) => process.stdout.write(t),
        log: (line) => process.stderr.write(line + '\n'),
      });
    });
  },
};
