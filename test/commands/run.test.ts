// `simload run` and the signals, from the command line: a SIGTERM mid-run (a real server, real bots, a live page),
// one while the command still loads its code and one as soon as the live page listens all end with exit 130 and
// leave nothing behind: no process in simload's process group or in its server's, the live port closed, and what was
// recorded on disk with run.json saying `interrupted`. Each waits on what simload prints, never on a sleep.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, test } from 'node:test';
import type { RunEvent, RunMeta } from '../../src/results/layout.js';
import type { Sample } from '../../src/results/sample.js';
import { SIMLOAD_BIN } from '../helpers/cli.js';
import { readNdjson } from '../helpers/ndjson.js';
import { liveProcesses } from '../helpers/proc.js';
import { waitFor } from '../helpers/wait.js';
import { TINY_PEAK, tinyScenario, tinyScenarioFile, tolerance } from '../run/fixtures.js';

/** Processes (not zombies) whose process group is `pgid`. */
const processGroup = (pgid: number): number[] =>
  liveProcesses()
    .filter((p) => p.pgrp === pgid)
    .map((p) => p.pid);

/** Whether something accepts connections on 127.0.0.1:port. */
function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/** `simload run FILE --out BASE --live 0` in a process group of its own, its stderr collected. */
function spawnRun(file: string, base: string, env: NodeJS.ProcessEnv = process.env) {
  const child = spawn(process.execPath, [SIMLOAD_BIN, 'run', file, '--out', base, '--live', '0'], {
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
  const port = async (): Promise<number> => {
    await waitFor(
      () => `the live page's address; stderr:\n${out.stderr}`,
      () => /live page: http:/.test(out.stderr),
      60_000,
    );
    return Number(/live page: http:\/\/127\.0\.0\.1:(\d+)\//.exec(out.stderr)?.[1]);
  };
  return { child, out, exited, port };
}

/**
 * A module hook for a spawned simload (NODE_OPTIONS=--import): when the CLI asks for the scenario reader, it
 * prints `HOOK-LOADING` on stderr and holds that import until `release` exists, so a signal sent on that line
 * lands while the command is still loading its code, before the scenario is read.
 */
function holdScenarioReader(dir: string): { env: NodeJS.ProcessEnv; release: string } {
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

/** The run folders under `base`. */
function runFolders(base: string): string[] {
  return existsSync(base) ? readdirSync(base).map((d) => join(base, d)) : [];
}

/** Nothing left: no process in simload's group nor in any of its servers' (each server leads a group of its own). */
async function nothingLeft(groups: number[]): Promise<void> {
  await waitFor(
    () => `no process left in groups ${groups.join(', ')}: ${groups.flatMap(processGroup).join(', ')}`,
    () => groups.flatMap(processGroup).length === 0,
    10_000,
  );
}

describe('simload run: signals', { concurrency: true }, () => {
  test(
    'SIGTERM mid-run: exit 130, run.json interrupted, samples on disk, no process left, the live port closed',
    {
      timeout: 120_000,
    },
    async () => {
      const { dir, file } = await tinyScenarioFile(tinyScenario({ holdMs: 60_000 }));
      const base = join(dir, 'results');
      const run = spawnRun(file, base);
      const port = await run.port();
      assert.ok(port > 0, run.out.stderr);
      // The peak's hold has started: the bots hold the players logged in.
      await waitFor(
        () => `the hold at the peak; stderr:\n${run.out.stderr}`,
        () => /^glibc: hold \(2\/4\)/m.test(run.out.stderr),
        90_000,
      );
      const [folder, ...more] = runFolders(base);
      assert.ok(folder && more.length === 0, `one run folder in ${base}`);
      const recorded = () => readNdjson<Sample>(join(folder, 'samples.ndjson'), { torn: true });
      await waitFor(
        'a sample after the ramp on disk',
        () => existsSync(join(folder, 'samples.ndjson')) && recorded().some((s) => s.phaseIndex >= 1),
        60_000,
      );
      assert.equal(await listening(port), true, 'the live page listens while the run goes');

      run.child.kill('SIGTERM');
      const { code, signal } = await run.exited;
      assert.deepEqual({ code, signal }, { code: 130, signal: null }, run.out.stderr);

      assert.deepEqual(runFolders(base), [folder]);
      const meta = JSON.parse(readFileSync(join(folder, 'run.json'), 'utf8')) as RunMeta;
      assert.equal(meta.status, 'interrupted');
      assert.ok(meta.endedAt, 'the end time is recorded');
      const events = readNdjson<RunEvent>(join(folder, 'events.ndjson'));
      assert.ok(events.some((e) => e.type === 'interrupted' && e.signal === 'SIGTERM'));
      const servers = events.flatMap((e) => (e.type === 'variant-start' ? [e.pid] : []));
      assert.equal(servers.length, 1);
      // What was recorded before the signal is on disk: the ramp's samples and those after it, with players online.
      const samples = recorded();
      assert.ok(samples.filter((s) => s.phaseIndex === 0).length >= 2, `${samples.length} samples`);
      const after = samples.filter((s) => s.phaseIndex >= 1);
      assert.ok(
        after.length >= 1 && after.every((s) => s.online > 0 && s.online <= TINY_PEAK + tolerance(TINY_PEAK)),
        `online after the ramp: ${after.map((s) => s.online).join(', ')}`,
      );
      assert.ok(existsSync(join(folder, 'summary.json')), 'the report of what was recorded is rendered');

      await nothingLeft([run.child.pid!, ...servers]);
      assert.equal(await listening(port), false, 'the live port is closed');
    },
  );

  test(
    'SIGTERM while the command still loads its code: exit 130, no run folder, no process left',
    {
      timeout: 120_000,
    },
    async () => {
      const { dir, file } = await tinyScenarioFile(tinyScenario({ holdMs: 60_000 }));
      const base = join(dir, 'results');
      const hold = holdScenarioReader(dir);
      const run = spawnRun(file, base, hold.env);
      await waitFor(
        () => `the scenario reader's import; stderr:\n${run.out.stderr}`,
        () => /^HOOK-LOADING$/m.test(run.out.stderr),
        60_000,
      );
      run.child.kill('SIGTERM');
      writeFileSync(hold.release, '');
      const { code, signal } = await run.exited;
      // Without its handling in place this early, Node's default ends the process: signal SIGTERM, no exit code.
      assert.deepEqual({ code, signal }, { code: 130, signal: null }, run.out.stderr);
      assert.deepEqual(runFolders(base), [], 'nothing ran, so no run folder');
      await nothingLeft([run.child.pid!]);
    },
  );

  test('SIGTERM as soon as the live page listens: exit 130, nothing left behind', { timeout: 120_000 }, async () => {
    const { dir, file } = await tinyScenarioFile(tinyScenario({ holdMs: 60_000 }));
    const base = join(dir, 'results');
    const run = spawnRun(file, base);
    const port = await run.port();
    run.child.kill('SIGTERM');
    const { code, signal } = await run.exited;
    assert.deepEqual({ code, signal }, { code: 130, signal: null }, run.out.stderr);
    // Stopped before the run started, it has no folder; a little later, its folder says how it ended.
    const folders = runFolders(base);
    assert.ok(folders.length <= 1, folders.join(', '));
    const servers: number[] = [];
    for (const folder of folders) {
      const meta = JSON.parse(readFileSync(join(folder, 'run.json'), 'utf8')) as RunMeta;
      assert.equal(meta.status, 'interrupted');
      const events = existsSync(join(folder, 'events.ndjson'))
        ? readNdjson<RunEvent>(join(folder, 'events.ndjson'))
        : [];
      servers.push(...events.flatMap((e) => (e.type === 'variant-start' ? [e.pid] : [])));
    }
    await nothingLeft([run.child.pid!, ...servers]);
    assert.equal(await listening(port), false, 'the live port is closed');
  });
});
