// `simload serve --variant NAME [--config FILE]`: one simulated server in the foreground, for your own bots.
// Prints the URL, optionally a stats line every --stats interval, and stops on Ctrl-C.

import { buildNames } from '../alloc/variants.js';
import type { SimloadCommand } from './command.js';
import { metricsOption } from './live-flags.js';

export const serveCommand: SimloadCommand = {
  command: 'serve',
  describe: 'Run one simulated server in the foreground for your own bots (prints its ws:// URL; Ctrl-C stops it)',
  builder: (y) =>
    metricsOption(y)
      .option('variant', {
        type: 'string',
        demandOption: true,
        describe: `a variant of --config, or a build: ${buildNames().join(', ')}`,
      })
      .option('config', {
        type: 'string',
        describe: 'a scenario file (.yaml) for server options and variants, or a JSON object of server options',
      })
      .option('host', {
        type: 'string',
        describe: 'address to listen on (default 127.0.0.1; 0.0.0.0 only for bots on other hosts, docs/distributed.md)',
      })
      .option('port', { type: 'number', describe: 'port to listen on (default: any free port)' })
      .option('threads', { type: 'number', describe: 'worker threads (default 8)' })
      .option('agent', {
        type: 'string',
        choices: ['per-player', 'pool'],
        describe: 'one agent per player, or a fixed pool',
      })
      .option('malloc-conf', {
        type: 'string',
        describe: 'malloc_conf for a jemalloc variant, e.g. dirty_decay_ms:1000',
      })
      .option('stats', { type: 'string', describe: 'print a stats line this often, e.g. 5s (default: never)' })
      .option('record', {
        type: 'boolean',
        default: false,
        describe:
          "record a run folder following --config's phases from the first login, then report (docs/distributed.md)",
      })
      .option('out', {
        type: 'string',
        describe: "with --record: base folder of the run folder (default: the scenario's output.dir)",
      })
      .example('$0 serve --variant madv-free --stats 5s', 'a madv-free server on a free port, a stats line every 5 s')
      .example(
        '$0 serve --config scenarios/ramp.yaml --variant no-madv-free --port 9000',
        "the scenario's server options, on port 9000",
      )
      .example(
        '$0 serve --config scenarios/ramp.yaml --variant madv-free --record --host 0.0.0.0',
        'record a run driven by a Locust swarm on other hosts',
      )
      .example(
        '$0 serve --config scenarios/ramp.yaml --variant madv-free --record --metrics 9464',
        'the same, its samples at http://127.0.0.1:9464/metrics for Prometheus',
      )
      .epilogue(
        'The gate accepts WebSocket clients that send no Origin or Origin http://127.0.0.1 (a scenario adds more with server.origins).',
      ),
  handler: async (argv) => (await import('./serve-run.js')).serve(argv),
};
