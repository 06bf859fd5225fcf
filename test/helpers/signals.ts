// Test helper (not a test): a simload CLI that tests send signals to, in a process group of its own, and the checks
// that nothing it started is left (its group, and each server's: a server leads a group of its own).
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { SIMLOAD_BIN } from './cli.js';
import { liveProcesses } from './proc.js';
import { waitFor } from './wait.js';

/** `simload ARGS...` as the leader of a new process group, its stderr collected as it comes. */
export function spawnSimloadGroup(args: readonly string[], env: NodeJS.ProcessEnv = process.env) {
  const child = spawn(process.execPath, [SIMLOAD_BIN, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
    env,
  });
  const out = { stderr: '' };
  child.stderr.setEncoding('utf8').on('data', (d: string) => (out.stderr += d));
  child.stdout.resume();
  const exited = new Promise<{ code: number | null; signal: string | null }>((r) =>
    child.once('exit', (code, signal) => r({ code, signal })),
  );
  /** Resolves when stderr has a line matching `line`; fails the test after `timeoutMs`. */
  const said = (what: string, line: RegExp, timeoutMs = 60_000) =>
    waitFor(
      () => `${what}; stderr:\n${out.stderr}`,
      () => line.test(out.stderr),
      timeoutMs,
    );
  return { child, out, exited, said };
}

/** Processes (not zombies) whose process group is `pgid`. */
export const processGroup = (pgid: number): number[] =>
  liveProcesses()
    .filter((p) => p.pgrp === pgid)
    .map((p) => p.pid);

/** Waits until no process is left in any of `groups` (killed processes take a moment to go). */
export async function nothingLeft(groups: number[]): Promise<void> {
  await waitFor(
    () => `no process left in groups ${groups.join(', ')}: ${groups.flatMap(processGroup).join(', ')}`,
    () => groups.flatMap(processGroup).length === 0,
    10_000,
  );
}

/**
 * A module hook for a spawned simload (NODE_OPTIONS=--import): when the CLI asks for the scenario reader, it
 * prints `HOOK-LOADING` on stderr and holds that import until the file `release` exists, so a signal sent on
 * that line lands while the command still loads its code, before the scenario is read.
 */
export function holdScenarioReader(dir: string): { env: NodeJS.ProcessEnv; release: string } {
  const release = join(dir, 'release');
  const hooks = join(dir, 'hooks.mjs');
  writeFileSync(
    hooks,
    `import { existsSync, writeSync } from 'node:fs';
let held = false;
export async function resolve(specifier, context, next) {
  if (!held && specifier.endsWith('/scenario/load.js')) {
    held = true;
    writeSync(2, 'HOOK-LOADING\\n');
    const until = Date.now() + 60000;
    while (!existsSync(${JSON.stringify(release)}) && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
  }
  return next(specifier, context);
}
`,
  );
  const register = join(dir, 'register.mjs');
  writeFileSync(
    register,
    `import { register } from 'node:module';\nregister(${JSON.stringify(pathToFileURL(hooks).href)});\n`,
  );
  return { env: { ...process.env, NODE_OPTIONS: `--import ${pathToFileURL(register).href}` }, release };
}
