// A run that did not deliver its load is INVALID and never passes: a server frozen after the baseline, a
// server that cannot accept connections, logins that arrive after the ramp-down started. Real servers, real
// sockets, real signals; `simload run` as a user starts it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { ExitCode } from '../../src/errors.js';
import type { Summary } from '../../src/analysis/summary.js';
import type { RunEvent, RunMeta } from '../../src/results/layout.js';
import { spawnRun, tinyScenario, tinyScenarioFile } from './fixtures.js';
import { readNdjson } from '../helpers/ndjson.js';

const CLI = join(process.cwd(), 'bin', 'simload.js');

/** Thresholds a delivered tiny run passes easily: the run's invalidity alone must fail them. */
const LENIENT_EXPECT = 'expect:\n  - peak_rss < 100GiB\n  - retention < 10\n';

function runDir(base: string, prefix: string): string | null {
  if (!existsSync(base)) return null;
  const d = readdirSync(base).find((n) => n.startsWith(`${prefix}-`));
  return d ? join(base, d) : null;
}

function events(folder: string): RunEvent[] {
  const f = join(folder, 'events.ndjson');
  if (!existsSync(f)) return [];
  return readNdjson<RunEvent>(f, { torn: true });
}

/**
 * Runs the CLI on `text`; once the first phase has started (its event is on disk), calls `atRamp` with the
 * server's pid. Resolves with the exit code, stdout and the run folder.
 */
/** A login with a fixed instruction cost (the loop's bound), whatever the machine's speed or load. */
const SLOW_LOGIN = `local n = 0
function login(id)
  for i = 1, 10000000 do n = n + (i & 7) end
end
function message(k) end
function logout(id) end
`;

async function runCli(
  text: string,
  prefix: string,
  atRamp?: (pid: number) => void,
): Promise<{ code: number | null; stdout: string; stderr: string; folder: string }> {
  const { dir, file } = await tinyScenarioFile(text);
  writeFileSync(join(dir, 'slow-login.lua'), SLOW_LOGIN);
  const base = join(dir, 'results');
  const run = spawnRun(file, base);
  if (atRamp) {
    const until = Date.now() + 45_000;
    for (;;) {
      assert.ok(Date.now() < until, `the ramp did not start; stderr:\n${run.stderr()}`);
      const folder = runDir(base, prefix);
      const ev = folder ? events(folder) : [];
      const start = ev.find((e): e is Extract<RunEvent, { type: 'variant-start' }> => e.type === 'variant-start');
      if (start && ev.some((e) => e.type === 'phase' && e.phaseIndex === 0)) {
        atRamp(start.pid);
        break;
      }
      await delay(20);
    }
  }
  const code = await run.exited;
  const folder = runDir(base, prefix);
  assert.ok(folder, `no run folder; stderr:\n${run.stderr()}`);
  return { code, stdout: run.stdout(), stderr: run.stderr(), folder };
}

function assertInvalid(r: { code: number | null; stdout: string; folder: string }, reason: RegExp): Summary {
  assert.equal(
    r.code,
    ExitCode.invalid,
    `exit ${r.code}, expected ${ExitCode.invalid} (invalid run); stdout:\n${r.stdout}`,
  );
  const meta = JSON.parse(readFileSync(join(r.folder, 'run.json'), 'utf8')) as RunMeta;
  assert.equal(meta.status, 'complete', 'the run itself completed');
  assert.equal(meta.validity?.valid, false, 'run.json says the run is invalid');
  assert.match(meta.validity!.reasons.join('\n'), reason);
  const summary = JSON.parse(readFileSync(join(r.folder, 'summary.json'), 'utf8')) as Summary;
  assert.equal(summary.valid, false);
  assert.match(summary.invalid!.join('\n'), reason);
  // Shown first, and the thresholds cannot pass.
  assert.match(r.stdout, /^INVALID RUN/);
  assert.match(r.stdout, /expect: 2 of 2 threshold\(s\) failed/);
  assert.match(r.stdout, /FAIL {2}glibc: peak_rss < 100GiB {2}\(actual invalid run: /);
  // ... and the verdict repeats the INVALID lines after the thresholds (analysis/verdict.ts).
  assert.match(r.stdout, /threshold\(s\) failed\n[\s\S]*\nINVALID RUN: [^\n]*\n( {2}[^\n]*\n)+results: /);
  const html = readFileSync(join(r.folder, 'report.html'), 'utf8');
  assert.ok(
    html.indexOf('INVALID RUN') >= 0 && html.indexOf('INVALID RUN') < html.indexOf('<h2>What happened'),
    'report.html shows it before the charts',
  );
  return summary;
}

test(
  'a server frozen with SIGSTOP after the baseline: an invalid run, exit 4, expect fails',
  { timeout: 120_000 },
  async () => {
    const text = tinyScenario({ holdMs: 2000 }).replace('record:', `${LENIENT_EXPECT}record:`);
    let frozen = 0;
    const r = await runCli(text, 'tiny', (pid) => {
      process.kill(pid, 'SIGSTOP');
      frozen = pid;
    });
    assert.ok(frozen > 0);
    const summary = assertInvalid(r, /samples without allocator stats/);
    const v = summary.variants[0]!;
    assert.ok(
      v.validity.samplesWithoutStats > 0.5 * v.samples,
      `${v.validity.samplesWithoutStats} of ${v.samples} samples without stats`,
    );
    // `simload report` on the folder says so too, with the same exit code.
    const rep = spawnSyncCli(['report', r.folder]);
    assert.equal(rep.code, ExitCode.invalid);
    assert.match(rep.stdout, /^INVALID RUN/);
    // And compare refuses to call it a pass.
    const cmp = spawnSyncCli(['compare', r.folder, r.folder]);
    assert.equal(cmp.code, ExitCode.invalid);
    assert.match(cmp.stdout, /the candidate is an INVALID run/);
  },
);

test(
  'a server that cannot accept connections (open-file limit cut after the baseline): invalid, exit 4',
  { timeout: 120_000 },
  async () => {
    const text = tinyScenario({ holdMs: 2000 }).replace('record:', `${LENIENT_EXPECT}record:`);
    const r = await runCli(text, 'tiny', (pid) => {
      // Room for about 10 more sockets: the server's gate then cannot accept the other ~290 players.
      const open = readdirSync(`/proc/${pid}/fd`).length;
      execFileSync('prlimit', ['--pid', String(pid), `--nofile=${open + 10}:${open + 10}`]);
    });
    const summary = assertInvalid(r, /connect failures in \d+ message attempts/);
    const v = summary.variants[0]!;
    assert.ok(v.validity.failures > 100, `${v.validity.failures} failures`);
    // The server never held the peak: it logged in far fewer than the 300 players asked (on a busy machine the
    // ramp's samples may all lack stats, so this reads the server's own count rather than per-phase shares).
    assert.ok(v.peakOnline < 0.6 * 300, `the server had ${v.peakOnline} players online at most`);
    // A gate out of file descriptors refuses or drops the connection; which one the bot sees depends on timing.
    assert.match(
      r.stderr,
      /bot error: (connect failed|WebSocket was closed before the connection was established)/,
      'the first bot errors are shown',
    );
  },
);

test(
  'a fast ramp on a slow server (1 worker): late logins are flagged, the run is invalid',
  { timeout: 120_000 },
  async () => {
    // Slow by a fixed cost, not by the machine: each login runs 10 million loop iterations (about 30 million Lua
    // instructions, at least ~30 ms on any machine and far more here), so 100 logins on one worker take seconds;
    // the ramp asks for them in 100 ms and the target falls 400 ms in.
    const text = `name: late
server:
  threads: 1
  script: slow-login.lua
  script_limits: { instructions: 100000000 }
  logout_free_delay: 0s
variants:
  - name: glibc
    build: glibc
load:
  rate: 1
  think_time: 200ms
  bot_workers: 1
  phases:
    - ramp: { to: 100, over: 100ms }
    - hold: 300ms
    - ramp: { to: 33%, over: 300ms }
    - hold: 3s
${LENIENT_EXPECT}record:
  interval: 100ms
  baseline: 600ms
`;
    const r = await runCli(text, 'late');
    // Which rule catches it depends on how far the slow server got before the target fell: logins that land
    // after the fall (late logins), or phases the server never filled (shortfall; on a loaded machine the first
    // phases may have no sample with stats, so the later ones say it). Either way it is invalid.
    const summary = assertInvalid(
      r,
      /late logins: the server reached \d+ players at .* after the target had started to fall|phase \d:(hold|ramp): the server held less than 95% of the target/,
    );
    const v = summary.variants[0]!;
    if (v.validity.lateLoginsAtMs !== null) {
      // Late means after the target started to fall: the 300 ms ramp-down began 300 ms before it ended.
      assert.ok(
        v.rampDownEndMs !== null && v.validity.lateLoginsAtMs > v.rampDownEndMs - 300,
        `loaded peaked at ${v.validity.lateLoginsAtMs} ms, ramp-down (300 ms) ended at ${v.rampDownEndMs} ms`,
      );
    }
  },
);

function spawnSyncCli(args: string[]): { code: number | null; stdout: string } {
  try {
    const stdout = execFileSync(process.execPath, [CLI, ...args], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    return { code: 0, stdout };
  } catch (err) {
    const e = err as { status: number | null; stdout: string };
    return { code: e.status, stdout: e.stdout };
  }
}
