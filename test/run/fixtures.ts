// A tiny scenario for end-to-end tests: a few hundred players with small state, ~12 s per variant.
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const TINY_PEAK = 300;

export function tinyScenario(opts: { variants?: string; holdMs?: number } = {}): string {
  const variants = opts.variants ?? '  - name: glibc\n    build: glibc\n';
  return `# tiny: follows the phases with a few hundred players
name: tiny
server:
  threads: 2
  state:
    objects: 8
    sizes: [{ size: 1KiB, weight: 1 }]
  logout_free_delay: 0s
variants:
${variants}load:
  rate: 2
  think_time: 200ms
  bot_workers: 2
  phases:
    - ramp: { to: ${TINY_PEAK}, over: 4s }
    - hold: 2s
    - ramp: { to: 33%, over: 2s }
    - hold: ${opts.holdMs ?? 2500}ms
record:
  interval: 250ms
  baseline: 750ms
`;
}

export async function tinyScenarioFile(text = tinyScenario()): Promise<{ dir: string; file: string }> {
  const dir = await mkdtemp(join(tmpdir(), 'simload-run-'));
  const file = join(dir, 'tiny.yaml');
  await writeFile(file, text);
  return { dir, file };
}

/** Tolerance the issue sets: 2% of the target, or 5 players. */
export function tolerance(target: number): number {
  return Math.max(5, 0.02 * target);
}

export interface SpawnedRun {
  /** Output so far (read them after `exited` for the whole). */
  stdout(): string;
  stderr(): string;
  exited: Promise<number | null>;
}

/** `simload run FILE --out BASE` as a child process, its output collected. */
export function spawnRun(file: string, base: string): SpawnedRun {
  const child = spawn(process.execPath, [join(process.cwd(), 'bin', 'simload.js'), 'run', file, '--out', base], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout.on('data', (d) => (out += String(d)));
  child.stderr.on('data', (d) => (err += String(d)));
  return { stdout: () => out, stderr: () => err, exited: new Promise((r) => child.on('exit', (code) => r(code))) };
}

/**
 * `simload report DIR` on a folder a run wrote: its exit code and output. It must end as the run did
 * (analysis/verdict.ts, docs/report.md "Exit codes and the verdict"); about a second per call.
 */
export function reportFolder(dir: string, ...flags: string[]): { code: number | null; out: string; err: string } {
  const r = spawnSync(process.execPath, [join(process.cwd(), 'bin', 'simload.js'), 'report', dir, ...flags], {
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

/**
 * How busy the machine is while a run goes on: the median of the kernel's runnable-thread count (/proc/loadavg's
 * fourth field), sampled every 200 ms. A test that asks a run to deliver its load may excuse an INVALID run only
 * when this says the cores were oversubscribed; on a quiet machine INVALID is a failure.
 */
export function watchMachineLoad(): () => { runnable: number; cores: number; busy: boolean } {
  const seen: number[] = [];
  const read = (): void => {
    const field = readFileSync('/proc/loadavg', 'utf8').split(' ')[3] ?? '0/0';
    seen.push(Number(field.split('/')[0]));
  };
  read();
  const timer = setInterval(read, 200);
  return () => {
    clearInterval(timer);
    const sorted = [...seen].sort((a, b) => a - b);
    const runnable = sorted[Math.floor(sorted.length / 2)]!;
    const cores = availableParallelism();
    return { runnable, cores, busy: runnable > 2 * cores };
  };
}
