// Test helper (not a test): the simload CLI as a child process that does not block the test's event loop, so
// independent calls (bad flags, --help) run side by side. Each call is a Node start of about half a second of
// CPU; what such a call is checked on (exit code, output, files) does not depend on how fast it ran.
import { spawn } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { packageRoot } from '../../src/native/paths.js';

export const SIMLOAD_BIN = join(packageRoot, 'bin', 'simload.js');

export interface CliRun {
  /** Exit code; null when a signal ended it. */
  code: number | null;
  stdout: string;
  stderr: string;
}

/** `simload ARGS...`; resolves when it has exited and its output is read. Killed after `timeoutMs`. */
export function simloadCli(
  args: readonly string[],
  o: { env?: NodeJS.ProcessEnv; cwd?: string; timeoutMs?: number } = {},
): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [SIMLOAD_BIN, ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: o.env ?? process.env,
      timeout: o.timeoutMs ?? 120_000,
      ...(o.cwd ? { cwd: o.cwd } : {}),
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/**
 * Each argument list as its own `simload` call, as many at a time as the machine has CPUs (more would only
 * stretch each call towards its timeout); the results in the lists' order.
 */
export async function simloadEach(
  argLists: ReadonlyArray<readonly string[]>,
  o: { env?: NodeJS.ProcessEnv; cwd?: string; timeoutMs?: number } = {},
): Promise<CliRun[]> {
  const out: CliRun[] = new Array<CliRun>(argLists.length);
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < argLists.length) {
      const i = next++;
      out[i] = await simloadCli(argLists[i]!, o);
    }
  };
  await Promise.all(Array.from({ length: Math.max(2, availableParallelism()) }, lane));
  return out;
}

/** The arguments of `simload watch` of `pid`, sampled every `interval` for `duration`, into `out`. */
export function watchArgs(pid: number, interval: string, duration: string, out: string): string[] {
  return ['watch', '--pid', String(pid), '--interval', interval, '--duration', duration, '--out', out];
}
