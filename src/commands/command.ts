// The seam between the CLI and each command: one file per command under commands/, registered in cli.ts.

import type { Argv } from 'yargs';

export interface SimloadCommand {
  /** yargs command string, e.g. `run <scenario>`. */
  command: string;
  describe: string;
  builder: (y: Argv) => Argv;
  /** Returns the process exit code (errors.ts ExitCode). Throw SimloadError for user-facing failures. */
  handler: (argv: Record<string, unknown>) => Promise<number>;
}
