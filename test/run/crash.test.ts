// A server's crash reason reaches the user: jemalloc's own words for a rejected malloc_conf (not just
// SIGABRT), the signal of a server killed mid-run in the console, events and run.json; and with --parallel
// the sibling variants stop instead of running on to the end.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { ExitCode } from '../../src/errors.js';
import type { RunEvent, RunMeta } from '../../src/results/layout.js';
import { runScenario } from '../../src/run/run.js';
import { loadScenario } from '../../src/scenario/load.js';
import { tinyScenario, tinyScenarioFile } from './fixtures.js';
import { readNdjson } from '../helpers/ndjson.js';

const CLI = join(process.cwd(), 'bin', 'simload.js');

test("a malloc_conf jemalloc rejects (abort_conf:true) fails with jemalloc's reason", { timeout: 60_000 }, async () => {
  const { dir, file } = await tinyScenarioFile(
    tinyScenario({ variants: '  - name: bad\n    build: madv-free\n    malloc_conf: abort_conf:true,xyzzy:1\n' }),
  );
  const { scenario, text } = await loadScenario(file);
  await assert.rejects(
    runScenario(scenario, text, { outDir: join(dir, 'results'), quiet: true }),
    (err: Error & { exitCode?: number }) => {
      assert.equal(err.exitCode, ExitCode.runtime);
      assert.match(err.message, /signal SIGABRT/);
      assert.match(err.message, /<jemalloc>: Invalid conf pair: xyzzy:1/);
      return true;
    },
  );
});

test(
  '--parallel: a server killed mid-run fails the run with its signal, and its sibling stops early',
  { timeout: 120_000 },
  async () => {
    const holdMs = 30_000;
    const variants = '  - name: one\n    build: glibc\n  - name: two\n    build: glibc\n';
    const { dir, file } = await tinyScenarioFile(tinyScenario({ variants, holdMs }));
    const base = join(dir, 'results');
    const child = spawn(process.execPath, [CLI, 'run', file, '--parallel', '--out', base], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += String(d)));
    child.stdout.resume();
    const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
    const events = (folder: string): RunEvent[] =>
      existsSync(join(folder, 'events.ndjson'))
        ? readNdjson<RunEvent>(join(folder, 'events.ndjson'), { torn: true })
        : [];
    let folder = '';
    let killedAt = 0;
    const until = Date.now() + 45_000;
    while (!killedAt) {
      assert.ok(Date.now() < until, `no ramp started; stderr:\n${stderr}`);
      const d = existsSync(base) ? readdirSync(base).find((n) => n.startsWith('tiny-')) : undefined;
      if (d) {
        folder = join(base, d);
        const ev = events(folder);
        const start = ev.find(
          (e): e is Extract<RunEvent, { type: 'variant-start' }> => e.type === 'variant-start' && e.variant === 'one',
        );
        if (start && ev.filter((e) => e.type === 'phase' && e.phaseIndex === 1).length === 2) {
          process.kill(start.pid, 'SIGKILL');
          killedAt = Date.now();
        }
      }
      if (!killedAt) await delay(50);
    }
    const code = await exited;
    const took = Date.now() - killedAt;
    assert.equal(code, ExitCode.runtime, stderr);
    assert.ok(took < holdMs / 2, `the run went on ${took} ms after the kill; the sibling should stop`);
    assert.match(stderr, /variant one: the server exited during the run \(signal SIGKILL/);
    assert.doesNotMatch(stderr, /\n\s+at .*\.js:\d+/, 'no stack trace');
    const meta = JSON.parse(readFileSync(join(folder, 'run.json'), 'utf8')) as RunMeta;
    assert.equal(meta.status, 'failed');
    assert.match(meta.error?.message ?? '', /signal SIGKILL/);
    const ev = events(folder);
    assert.ok(ev.some((e) => e.type === 'error' && e.variant === 'one' && /SIGKILL/.test(e.message)));
    assert.ok(
      ev.some((e) => e.type === 'variant-end' && e.variant === 'two'),
      'the sibling ended',
    );
  },
);
