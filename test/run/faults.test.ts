// A results folder that stops taking files mid-run: the run ends cleanly, run.json says `failed` and why, the
// samples recorded so far stay, no stack trace. As root a plain chmod does not stop writes, so the folder is
// made immutable (chattr +i) there.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { ExitCode } from '../../src/errors.js';
import type { RunMeta } from '../../src/results/layout.js';
import { detectMemoryCgroup } from '../../src/cgroup/memory-cgroup.js';
import { runScenario } from '../../src/run/run.js';
import { loadScenario } from '../../src/scenario/load.js';
import { spawnRun, tinyScenario, tinyScenarioFile } from './fixtures.js';
import { readNdjson } from '../helpers/ndjson.js';

const cg = detectMemoryCgroup();
const cgroupSkip = cg.available ? false : `memory cgroups unavailable here: ${cg.reason}`;
const cgroupRoot = cg.available ? cg.root : '';

const root = process.getuid?.() === 0;

function lock(dir: string, on: boolean): void {
  if (root) execFileSync('chattr', [on ? '+i' : '-i', dir]);
  else chmodSync(dir, on ? 0o555 : 0o755);
}

test(
  'a results folder made unwritable mid-run: exit 3, a clear message, run.json failed, samples kept',
  { timeout: 90_000 },
  async () => {
    const { dir, file } = await tinyScenarioFile(tinyScenario({ holdMs: 1000 }));
    const base = join(dir, 'results');
    const run = spawnRun(file, base);
    let folder: string | null = null;
    const until = Date.now() + 45_000;
    while (!folder) {
      assert.ok(Date.now() < until, `no phase started; stderr:\n${run.stderr()}`);
      const d = existsSync(base) ? readdirSync(base).find((n) => n.startsWith('tiny-')) : undefined;
      const ev = d ? join(base, d, 'events.ndjson') : '';
      if (d && existsSync(ev) && readFileSync(ev, 'utf8').includes('"phaseIndex":0')) folder = join(base, d);
      else await delay(50);
    }
    lock(folder, true);
    let code: number | null;
    try {
      code = await run.exited;
    } finally {
      lock(folder, false);
    }
    const stdout = run.stdout();
    const stderr = run.stderr();
    assert.equal(code, ExitCode.runtime, `exit ${code}; stderr:\n${stderr}`);
    assert.match(stderr, /cannot write \S+ in .*tiny-/);
    assert.doesNotMatch(stderr, /\n\s+at .*\.js:\d+/, 'no stack trace');
    assert.doesNotMatch(stderr, /unexpected failure/);
    const meta = JSON.parse(readFileSync(join(folder, 'run.json'), 'utf8')) as RunMeta;
    assert.equal(meta.status, 'failed');
    assert.equal(meta.error?.code, 'ERR_RESULTS_WRITE');
    const samples = readNdjson(join(folder, 'samples.ndjson'), { torn: true });
    assert.ok(samples.length >= 20, `${samples.length} samples kept`);
    // What was recorded is still summarized on the console.
    assert.match(stdout, /peak Rss/);
  },
);

test(
  "a killed simload's memory cgroup is swept when the next run starts, even one without pressure",
  { skip: cgroupSkip },
  async () => {
    const dead = spawn(process.execPath, ['-e', '0']);
    await new Promise((r) => dead.once('exit', r));
    const stale = join(cgroupRoot, `simload-${dead.pid}-left-by-kill-9`);
    mkdirSync(stale);
    const { dir, file } = await tinyScenarioFile(tinyScenario({ holdMs: 500 }));
    const { scenario, text } = await loadScenario(file);
    scenario.load.phases = scenario.load.phases.slice(0, 2);
    assert.ok(!scenario.load.phases.some((p) => p.kind === 'pressure'));
    await runScenario(scenario, text, { outDir: join(dir, 'results'), quiet: true });
    assert.equal(existsSync(stale), false, `${stale} is still there`);
  },
);

test(
  'scenario.yaml that cannot be written (a file-size limit): ERR_RESULTS_WRITE and exit 3, not a crash',
  { timeout: 60_000 },
  async () => {
    // RLIMIT_FSIZE of 1 KiB: run.json (a few hundred bytes) is written, the scenario's 4 KiB text is not (EFBIG;
    // Node ignores SIGXFSZ). This is the very first write that fails, before any sample.
    const text = tinyScenario() + `# ${'padding '.repeat(512)}\n`;
    const { dir, file } = await tinyScenarioFile(text);
    const base = join(dir, 'results');
    const r = spawnSync(
      'bash',
      [
        '-c',
        'ulimit -f 1 && exec "$0" "$@"',
        process.execPath,
        join(process.cwd(), 'bin', 'simload.js'),
        'run',
        file,
        '--out',
        base,
      ],
      {
        encoding: 'utf8',
        timeout: 50_000,
      },
    );
    assert.equal(r.status, ExitCode.runtime, `stdout:\n${r.stdout}\nstderr:\n${r.stderr}`);
    assert.match(r.stderr, /ERR_RESULTS_WRITE|cannot write scenario\.yaml/);
    assert.doesNotMatch(r.stderr, /ReferenceError|TypeError|\n\s+at /);
  },
);
