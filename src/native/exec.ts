// Running build tools: output goes to a log file; a failure names the command and shows the log's tail.
import { spawn } from 'node:child_process';
import { appendFileSync, readFileSync } from 'node:fs';
import { SimloadError } from '../errors.js';

export interface RunOptions {
  cwd?: string;
  env?: Record<string, string | undefined>;
  /** Appends stdout and stderr here. */
  log?: string;
  /** Error code when the command fails. */
  code?: string;
}

export function run(cmd: string, args: string[], o: RunOptions = {}): Promise<{ stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    if (o.log) appendFileSync(o.log, `\n$ ${[cmd, ...args].join(' ')}\n`);
    const child = spawn(cmd, args, {
      cwd: o.cwd,
      env: { ...process.env, ...o.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => {
      stdout += d;
      if (o.log) appendFileSync(o.log, d);
    });
    child.stderr.on('data', (d: Buffer) => {
      stderr += d;
      if (o.log) appendFileSync(o.log, d);
    });
    child.on('error', (err) => {
      reject(new SimloadError(o.code ?? 'ERR_BUILD', `cannot run ${cmd}: ${err.message}`, undefined, { cause: err }));
    });
    child.on('close', (code, signal) => {
      if (code === 0) return resolve({ stdout, stderr });
      const tail = o.log ? tailOf(o.log, 25) : (stderr || stdout).split('\n').slice(-25).join('\n');
      reject(
        new SimloadError(
          o.code ?? 'ERR_BUILD',
          `${cmd} ${args.join(' ')} failed (${signal ? `signal ${signal}` : `exit ${code}`})${o.cwd ? ` in ${o.cwd}` : ''}` +
            `${o.log ? `; full log: ${o.log}` : ''}\n${tail}`,
        ),
      );
    });
  });
}

function tailOf(file: string, lines: number): string {
  try {
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '';
  }
}
