// Errors that reach the user carry a stable code (like ws's error codes) and the exit status the CLI uses.

/** Stable exit codes of every simload command. */
export const ExitCode = {
  ok: 0,
  /** A threshold (`expect:`) or a comparison failed: the run itself worked. */
  checkFailed: 1,
  /** Bad input: scenario, flags, paths. Nothing was run. */
  usage: 2,
  /** The run could not complete: a build, a server or the machine failed. */
  runtime: 3,
  /**
   * The run ended but did not deliver the load it asked for (analysis/validity.ts): its numbers measure something
   * else, so no threshold passed. Also `report` and `compare` on such a run.
   */
  invalid: 4,
  /** Interrupted by SIGINT, SIGTERM or SIGHUP; results recorded so far are on disk. */
  interrupted: 130,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

export class SimloadError extends Error {
  readonly code: string;
  readonly exitCode: ExitCode;
  constructor(code: string, message: string, exitCode: ExitCode = ExitCode.runtime, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'SimloadError';
    this.code = code;
    this.exitCode = exitCode;
  }
}

/** Bad input from the user: exit 2. */
export class UsageError extends SimloadError {
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(code, message, ExitCode.usage, options);
    this.name = 'UsageError';
  }
}
