// `simload report DIR` ends with the verdict of the command that wrote the folder (analysis/verdict.ts): the
// same exit code and lines, for every way a run can end. Copies of the hand-made fixture with run.json's status
// or the scenario's thresholds changed, and one real `simload watch` folder (2 s). Real runs rendered again
// are in test/run/run.test.ts (0, 1), test/run/interrupt.test.ts (130, 3) and test/run/validity.test.ts (4).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { Sample } from '../../src/results/sample.js';
import { fixtureCopy } from '../helpers/run-fixture.js';
import { simloadCli } from '../helpers/cli.js';
import { readNdjson } from '../helpers/ndjson.js';

async function simload(...args: string[]) {
  const r = await simloadCli(args, { timeoutMs: 60_000 });
  return { code: r.code, out: r.stdout, err: r.stderr };
}

async function editJson(file: string, edit: (x: Record<string, unknown>) => void): Promise<void> {
  const x = JSON.parse(await readFile(file, 'utf8')) as Record<string, unknown>;
  edit(x);
  await writeFile(file, JSON.stringify(x, null, 2));
}

/** The fixture's status in run.json set to `status` (undefined: run.json removed). */
async function withStatus(status: string | undefined): Promise<string> {
  const dir = await fixtureCopy();
  if (status === undefined) await rm(join(dir, 'run.json'));
  else await editJson(join(dir, 'run.json'), (m) => (m.status = status));
  return dir;
}

const NOT_CHECKED = (why: string) => new RegExp(`\\nexpect: not checked, ${why}\\n$`);

test(
  'report ends as the run did: 0 passed, 1 a threshold failed, 130 interrupted, 3 failed or never said',
  { timeout: 60_000 },
  async () => {
    // Each call renders its own copy of the fixture: they run side by side.
    const failing = await withStatus('complete');
    const passing = await withStatus('complete');
    await editJson(
      join(passing, 'scenario.json'),
      (s) => (s.expect = (s.expect as Array<{ metric: string }>).filter((r) => r.metric !== 'retention')),
    );
    const interrupted = await withStatus('interrupted');
    const failed = await withStatus('failed');
    const unsaid = [await withStatus('running'), await withStatus(undefined)];
    const dirs = [failing, passing, interrupted, failed, ...unsaid];
    const [f, p, i, x, ...u] = await Promise.all([
      simload('report', failing, '--junit', join(failing, 'junit.xml')),
      simload('report', passing),
      simload('report', interrupted, '--junit', join(interrupted, 'junit.xml')),
      simload('report', failed, '--json'),
      ...unsaid.map((dir) => simload('report', dir)),
    ]);

    // complete, madv-free's `retention < 0.6` fails (retention 0.9): 1, the thresholds last.
    assert.equal(f!.code, 1, f!.out + f!.err);
    assert.match(
      f!.out,
      /expect: 1 of 4 threshold\(s\) failed\nFAIL {2}madv-free: retention < 0\.6 {2}\(actual 90\.0% = 0\.900\)\n/,
    );
    assert.match(await readFile(join(failing, 'junit.xml'), 'utf8'), /failures="1"/);

    // The same folder without that threshold: 0.
    assert.equal(p!.code, 0, p!.out + p!.err);
    assert.match(p!.out, /expect: all 1 threshold\(s\) passed\npass {2}madv-free: p99 < 50ms/);

    // Interrupted: the failing threshold is not checked (the numbers are cut short), 130; no JUnit file.
    assert.equal(i!.code, 130, i!.out + i!.err);
    assert.match(i!.out, NOT_CHECKED('the run was interrupted'));
    assert.doesNotMatch(i!.out, /FAIL/);
    assert.equal(existsSync(join(interrupted, 'junit.xml')), false, 'JUnit only for a complete run, as run writes it');

    // Failed: 3; with --json the verdict goes to stderr, the summary to stdout.
    assert.equal(x!.code, 3, x!.out + x!.err);
    assert.equal(JSON.parse(x!.out).variants.length, 3);
    assert.equal(x!.err, 'expect: not checked, the run failed\n');

    // run.json still `running` (the run was killed -9) or missing: it never said how it ended, read as failed.
    for (const [k, status] of ['running', undefined].entries()) {
      const r = u[k]!;
      assert.equal(r.code, 3, `${status}: ${r.out}${r.err}`);
      assert.match(
        r.out,
        status ? /note: run\.json still says running: the run was killed/ : /note: run\.json is missing/,
      );
      assert.match(r.out, NOT_CHECKED('the run failed'));
    }
    await Promise.all(dirs.map((d) => rm(dirname(d), { recursive: true, force: true })));
  },
);

test(
  'report on an INVALID complete run: 4, the thresholds then the INVALID lines last, as run prints them',
  { timeout: 60_000 },
  async () => {
    const dir = await fixtureCopy();
    // no-madv-free's server holds no player during the first hold (target 100): the phase is short.
    const file = join(dir, 'samples.ndjson');
    const samples = readNdjson<Sample>(file);
    for (const s of samples) if (s.variant === 'no-madv-free' && s.phaseIndex === 1) s.online = 0;
    await writeFile(file, samples.map((s) => JSON.stringify(s)).join('\n') + '\n');
    const r = await simload('report', dir);
    assert.equal(r.code, 4, r.out + r.err);
    assert.match(
      r.out,
      /FAIL {2}madv-free: retention < 0\.6[^\n]*\n(.*\n)*INVALID RUN: [^\n]*\n( {2}no-madv-free: [^\n]*\n)+$/,
    );
    assert.match(
      r.out,
      /\n {2}no-madv-free: phase 1:hold: the server held less than 95% of the target in 10 of 10 samples/,
    );
    // Interrupted beats invalid, as in run.
    await editJson(join(dir, 'run.json'), (m) => (m.status = 'interrupted'));
    assert.equal((await simload('report', dir)).code, 130);
    await rm(dirname(dir), { recursive: true, force: true });
  },
);

test(
  'report on a `simload watch` folder: load validity not judged, the same exit as the watch',
  { timeout: 60_000 },
  async () => {
    // A --cmd watch without the skynet console has no allocator stats: judged for load, every sample would
    // count as "the server did not answer" and the folder would read INVALID (exit 4) where the watch exited 0.
    const base = await mkdtemp(join(tmpdir(), 'simload-report-watch-'));
    const w = await simload(
      'watch',
      '--cmd',
      'sleep 30',
      '--duration',
      '1s',
      '--interval',
      '200ms',
      '--out',
      base,
      '--name',
      'w',
    );
    assert.equal(w.code, 0, w.out + w.err);
    const dir = join(base, readdirSync(base)[0]!);
    const summary = JSON.parse(await readFile(join(dir, 'summary.json'), 'utf8')) as { valid: boolean };
    assert.equal(summary.valid, true, 'the watch wrote its summary without judging the load either');
    const r = await simload('report', dir);
    assert.equal(r.code, w.code, r.out + r.err);
    assert.doesNotMatch(
      r.out,
      /INVALID RUN: the load asked for[^\n]*\n {2}w: [^\n]*\n$/,
      'no INVALID verdict at the end',
    );
    await rm(base, { recursive: true, force: true });
  },
);
