// `--online-cmd`: a shell command the user gives, run once per sample, whose output's first number is the
// online player count. A command that fails, prints no number or runs past the timeout gives null.

import { exec } from 'node:child_process';

export function readOnline(command: string, timeoutMs: number): Promise<number | null> {
  return new Promise((resolve) => {
    exec(command, { timeout: timeoutMs, killSignal: 'SIGKILL', maxBuffer: 64 * 1024 }, (err, stdout) => {
      if (err) return resolve(null);
      const m = /-?\d+(\.\d+)?/.exec(String(stdout));
      resolve(m ? Number(m[0]) : null);
    });
  });
}
