// `simload export locust SCENARIO [-o FILE] [--players-per-connection N]`: the scenario's load as a Locust
// locustfile, for load from many hosts (docs/distributed.md). The generator is export/locust.ts.

import { writeFile } from 'node:fs/promises';
import { ExitCode, UsageError } from '../errors.js';
import { formatDuration } from '../units.js';
import type { SimloadCommand } from './command.js';

/** The gate's default maxChannelsPerConnection (docs/server.md, multiplexed connections). */
const MAX_PLAYERS_PER_CONNECTION = 4096;

export const exportCommand: SimloadCommand = {
  command: 'export <format> <scenario>',
  describe:
    "Write a scenario's load for another load engine (locust: a Python locustfile for Locust's master/worker mode)",
  builder: (y) =>
    y
      .positional('format', { type: 'string', choices: ['locust'], describe: 'the engine', demandOption: true })
      .positional('scenario', {
        type: 'string',
        describe: 'a scenario file, e.g. scenarios/ramp.yaml',
        demandOption: true,
      })
      .option('output', { alias: 'o', type: 'string', describe: 'write to this file (default: standard output)' })
      .option('players-per-connection', {
        type: 'number',
        describe: `1: one connection per player (the plain protocol); 2..${MAX_PLAYERS_PER_CONNECTION}: players multiplexed on shared connections (?mux=1) (default: the scenario's load.players_per_connection, else 1)`,
      })
      .example('$0 export locust scenarios/ramp.yaml -o ramp_locust.py', 'a locustfile following ramp.yaml')
      .example(
        '$0 export locust scenarios/ramp.yaml -o ramp_locust.py --players-per-connection 1000',
        'the same, 1 000 players per connection',
      )
      .epilogue(
        [
          'Then: simload serve --config SCENARIO --variant V --record   (prints the ws:// URL, records a run folder)',
          '      locust -f ramp_locust.py --headless --host ws://127.0.0.1:PORT',
          'Only ramp and hold phases can be exported (pressure needs `simload run`). docs/distributed.md.',
        ].join('\n'),
      ),
  handler: async (argv) => {
    const { locustfile } = await import('../export/locust.js');
    const { timeline } = await import('../export/schedule.js');
    const { loadScenario } = await import('../scenario/load.js');
    const given = argv['players-per-connection'];
    if (given !== undefined) checkPlayersPerConnection(Number(given), `--players-per-connection ${String(given)}`);
    if (argv.output === '') throw new UsageError('ERR_OUT', '-o needs a file name, e.g. -o locustfile.py');
    const file = String(argv.scenario);
    const { scenario, text } = await loadScenario(file);
    // The scenario's own choice (load.players_per_connection, the multiplexed gate) unless the flag overrides it.
    const fromScenario = (scenario.load as { playersPerConnection?: number }).playersPerConnection;
    const n = given !== undefined ? Number(given) : (fromScenario ?? 1);
    checkPlayersPerConnection(n, `${file}: load.players_per_connection ${n}`);
    const source = { file, text };
    const py = locustfile(scenario, { playersPerConnection: n, source });
    const tl = timeline(scenario, source);
    const peak = Math.max(0, ...tl.segments.map((g) => g.to));
    const summary =
      `${scenario.name}: ${tl.segments.length} phases, up to ${peak} players over ${formatDuration(tl.endMs)} after a ${formatDuration(tl.baselineMs)} baseline, ` +
      (n === 1 ? 'one connection per player' : `${n} players per multiplexed connection`);
    if (typeof argv.output === 'string') {
      try {
        await writeFile(argv.output, py);
      } catch (err) {
        throw new UsageError('ERR_OUT', `cannot write ${argv.output}: ${(err as Error).message}`);
      }
      process.stderr.write(
        `simload export: wrote ${argv.output} (${summary})\n  next: locust -f ${argv.output} --headless --host ws://HOST:PORT  (the URL simload serve prints)\n`,
      );
    } else {
      process.stdout.write(py);
      process.stderr.write(`simload export: ${summary}\n`);
    }
    return ExitCode.ok;
  },
};

function checkPlayersPerConnection(n: number, what: string): void {
  if (!Number.isInteger(n) || n < 1 || n > MAX_PLAYERS_PER_CONNECTION) {
    throw new UsageError(
      'ERR_USAGE',
      `${what}: give a whole number from 1 (a connection per player) to ${MAX_PLAYERS_PER_CONNECTION} (the gate's default maxChannelsPerConnection)`,
    );
  }
}
