// The command line: a thin layer over the commands. Each command returns an exit code; user-facing
// failures are SimloadErrors with stable codes.

import yargs from 'yargs';
import { ExitCode, SimloadError } from './errors.js';
import type { SimloadCommand } from './commands/command.js';
import { keepGoingWhenOutputCloses } from './commands/closed-output.js';
import { escapeOutput } from './commands/safe-output.js';
import { commands } from './commands/index.js';
import { joinWindowValues } from './commands/report.js';

export async function main(args: string[]): Promise<number> {
  keepGoingWhenOutputCloses();
  escapeOutput();
  let exitCode: number = ExitCode.ok;
  const parser = yargs(args[0] === 'report' ? joinWindowValues(args) : args)
    .scriptName('simload')
    .usage(
      [
        'simload: does your game server give memory back when players leave?',
        '',
        'Ramps skynet-style players up and down against a simulated server per allocator build and records',
        'Rss, LazyFree (MADV_FREE) and jemalloc stats, then explains where the memory went.',
      ].join('\n'),
    )
    .strict()
    .demandCommand(1, 'Name a command: try `simload run scenarios/ramp.yaml`.')
    .recommendCommands()
    .epilogue(
      [
        'Exit codes: 0 ok, 1 a threshold or comparison failed, 2 bad input (also too few open files), 3 runtime failure, 4 INVALID run, 130 interrupted.',
        'Docs: README.md in the simload package.',
      ].join('\n'),
    )
    .help()
    .alias('h', 'help')
    .version(false)
    .wrap(Math.min(110, process.stdout.columns || 100))
    .fail((msg, err) => {
      if (err) throw err;
      throw new SimloadError('ERR_USAGE', msg, ExitCode.usage);
    });

  for (const cmd of commands as SimloadCommand[]) {
    parser.command({
      command: cmd.command,
      describe: cmd.describe,
      builder: cmd.builder,
      handler: async (argv) => {
        exitCode = await cmd.handler(argv as Record<string, unknown>);
      },
    });
  }

  try {
    await parser.parseAsync();
    return exitCode;
  } catch (err) {
    if (err instanceof SimloadError) {
      process.stderr.write(`simload: ${err.message}\n`);
      return err.exitCode;
    }
    const code = (err as NodeJS.ErrnoException | null)?.code;
    if (code === 'EMFILE' || code === 'ENFILE') {
      // Out of file descriptors wherever it happened (a lazy import, a socket, a file): the limit, not a bug.
      process.stderr.write(
        `simload: too many open files (${code}: ${(err as Error).message}); raise the open-file limit with \`ulimit -n\`\n`,
      );
      return ExitCode.usage;
    }
    process.stderr.write(
      `simload: unexpected failure: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
    );
    return ExitCode.runtime;
  }
}
