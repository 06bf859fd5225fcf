// The run session's end, shared by run, serve --record, watch and fidelity's skynet side: a real run folder
// (opened by the session, the hand-made fixture's samples and events appended through its writer, the report
// really drawn) closed after each way a recording can end, with the exit code, the outcome and what run.json says.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, statfsSync, writeFileSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { Writable } from 'node:stream';
import { SimloadError } from '../../src/errors.js';
import type { LatencyFile, RunEvent, RunMeta } from '../../src/results/layout.js';
import type { Sample } from '../../src/results/sample.js';
import type { ExpectRule, Scenario } from '../../src/scenario/types.js';
import { RunFailedError, RunSession, type CloseOptions } from '../../src/session/session.js';
import { readNdjson } from '../helpers/ndjson.js';
import { FIXTURE_DIR } from '../helpers/run-fixture.js';

const SCENARIO = JSON.parse(readFileSync(join(FIXTURE_DIR, 'scenario.json'), 'utf8')) as Scenario;
const SAMPLES = readNdjson<Sample>(join(FIXTURE_DIR, 'samples.ndjson'));
const EVENTS = readNdjson<RunEvent>(join(FIXTURE_DIR, 'events.ndjson'));
const LATENCY = JSON.parse(readFileSync(join(FIXTURE_DIR, 'latency.json'), 'utf8')) as LatencyFile;
const VARIANTS = SCENARIO.variants.map((v) => v.name);
/** A threshold no run of the fixture meets (its madv-free peak Rss is about 300 MiB). */
const TOO_LOW: ExpectRule = {
  variant: null,
  metric: 'peak_rss',
  op: '<',
  value: 1024 * 1024,
  source: 'peak_rss < 1MiB',
};

class Text extends Writable {
  text = '';
  override _write(chunk: Buffer, _enc: BufferEncoding, done: () => void): void {
    this.text += chunk.toString();
    done();
  }
}

/** A session over a new folder holding the fixture's samples (each through `edit`) and events. */
async function recorded(o: {
  edit?: (s: Sample) => Sample;
  samples?: boolean;
  signal?: AbortSignal;
  base?: string;
  name?: string;
}) {
  const session = await RunSession.open({
    scenario: SCENARIO,
    text: null,
    variants: VARIANTS,
    parallel: true,
    outDir: o.base ?? (await mkdtemp(join(tmpdir(), 'simload-session-'))),
    ...(o.name ? { name: o.name } : {}),
    ...(o.signal ? { signal: o.signal } : {}),
  });
  if (o.samples !== false) for (const s of SAMPLES) session.writer.appendSample(o.edit ? o.edit(s) : s);
  for (const e of EVENTS) session.writer.appendEvent(e);
  await session.writer.writeLatency(LATENCY);
  return session;
}

async function close(session: RunSession, c: Partial<CloseOptions> & Pick<CloseOptions, 'status'>) {
  const out = new Text();
  const end = await session.close({ expect: [], judgeValidity: true, out, paths: 'results', ...c });
  const meta = JSON.parse(readFileSync(join(end.dir, 'run.json'), 'utf8')) as RunMeta;
  return { ...end, meta, out: out.text };
}

test('complete: exit 0, run.json complete and valid; a failed threshold: exit 1 and a JUnit failure', async () => {
  const ok = await close(await recorded({}), { status: 'complete' });
  assert.equal(ok.exitCode, 0);
  assert.equal(ok.verdict.outcome, 'ok');
  assert.equal(ok.meta.status, 'complete');
  assert.deepEqual(ok.meta.validity, { valid: true, reasons: [] });
  assert.equal(ok.summary.variants.length, 3);
  assert.ok(ok.out.includes(`results: ${ok.dir}\n`));

  const junit = join(await mkdtemp(join(tmpdir(), 'simload-session-')), 'junit.xml');
  const failed = await close(await recorded({}), { status: 'complete', expect: [TOO_LOW], junit });
  assert.equal(failed.exitCode, 1);
  assert.equal(failed.verdict.outcome, 'expect-failed');
  assert.equal(failed.meta.status, 'complete');
  assert.equal(failed.verdict.checked?.filter((r) => !r.pass).length, 3, 'one failure per variant');
  assert.match(readFileSync(junit, 'utf8'), /<testsuites name="simload" tests="3" failures="3">/);
});

test('invalid: players short of the target make exit 4 and run.json says why; a watch is not judged', async () => {
  const half = (s: Sample) => ({ ...s, online: Math.floor(s.online / 2) });
  const invalid = await close(await recorded({ edit: half }), { status: 'complete', expect: [TOO_LOW] });
  assert.equal(invalid.exitCode, 4);
  assert.equal(invalid.verdict.outcome, 'invalid');
  assert.equal(invalid.meta.validity?.valid, false);
  assert.ok((invalid.meta.validity?.reasons.length ?? 0) > 0);

  const watched = await close(await recorded({ edit: half }), {
    status: 'complete',
    judgeValidity: false,
    paths: 'report',
    footer: 'end of watch',
  });
  assert.equal(watched.exitCode, 0);
  assert.equal(watched.meta.validity, undefined);
  assert.ok(watched.out.includes(`report: ${join(watched.dir, 'report.html')}\nend of watch\n`));
});

test("not judged here (fidelity's skynet side): its own folder name, nothing to print, the report drawn, no validity", async () => {
  const half = (s: Sample) => ({ ...s, online: Math.floor(s.online / 2) });
  const session = await recorded({ edit: half, name: 'side skynet' });
  assert.match(basename(session.dir), /^side-skynet-\d{8}-\d{6}(-\d+)?$/);
  const end = await session.close({ status: 'complete', expect: [], judgeValidity: false, paths: 'results' });
  const meta = JSON.parse(readFileSync(join(end.dir, 'run.json'), 'utf8')) as RunMeta;
  // Players short of the target would make a judged run INVALID (exit 4): here the pair's table judges.
  assert.deepEqual([end.exitCode, end.verdict.outcome, meta.status], [0, 'ok', 'complete']);
  assert.equal(meta.validity, undefined);
  assert.equal(end.summary.variants.length, 3);
  assert.ok(existsSync(join(end.dir, 'summary.json')) && existsSync(join(end.dir, 'report.html')));

  const failed = await recorded({ name: 'side skynet' });
  const e = new SimloadError('ERR_SKYNET_RUN', 'skynet stopped');
  failed.fail(e);
  const f = await failed.close({
    status: failed.status,
    error: failed.failure,
    expect: [],
    judgeValidity: false,
    paths: 'results',
  });
  assert.deepEqual([f.exitCode, f.verdict.outcome], [3, 'failed']);
  const fmeta = JSON.parse(readFileSync(join(f.dir, 'run.json'), 'utf8')) as RunMeta;
  assert.deepEqual([fmeta.status, fmeta.error], ['failed', { code: 'ERR_SKYNET_RUN', message: 'skynet stopped' }]);
});

test('interrupted: exit 130, run.json interrupted with an `interrupted` event, thresholds not checked', async () => {
  const user = new AbortController();
  const session = await recorded({ signal: user.signal });
  user.abort('SIGINT');
  assert.equal(session.signal.aborted, true);
  assert.equal(session.status, 'interrupted');
  const junit = join(await mkdtemp(join(tmpdir(), 'simload-session-')), 'junit.xml');
  const end = await close(session, { status: session.status, expect: [TOO_LOW], junit });
  assert.equal(end.exitCode, 130);
  assert.equal(end.meta.status, 'interrupted');
  assert.equal(end.meta.validity, undefined);
  assert.equal(end.verdict.checked, null);
  assert.throws(() => readFileSync(junit), { code: 'ENOENT' });
  const interrupts = readNdjson<RunEvent>(join(end.dir, 'events.ndjson')).filter((e) => e.type === 'interrupted');
  assert.deepEqual(
    interrupts.map((e) => (e as { signal: string }).signal),
    ['SIGINT'],
  );

  // Before any sample: no report to draw, still an interrupt, with an empty summary.
  const early = await close(await recorded({ samples: false }), { status: 'interrupted' });
  assert.equal(early.exitCode, 130);
  assert.equal(early.meta.status, 'interrupted');
  assert.deepEqual(early.summary.variants, []);
});

test('failed: exit 3 with run.json failed and its error; run throws RunFailedError after its table', async () => {
  const session = await recorded({});
  session.fail(new SimloadError('ERR_SERVER_EXIT', 'variant madv-free: the server exited'));
  assert.equal(session.status, 'failed');
  const end = await close(session, { status: session.status, error: session.failure, paths: 'report' });
  assert.equal(end.exitCode, 3);
  assert.equal(end.verdict.outcome, 'failed');
  assert.equal(end.meta.status, 'failed');
  assert.equal(end.meta.error?.code, 'ERR_SERVER_EXIT');

  const thrown = await recorded({});
  const out = new Text();
  await assert.rejects(
    thrown.close({
      status: 'failed',
      error: new SimloadError('ERR_BOT', 'bots failed'),
      expect: [],
      judgeValidity: true,
      out,
      paths: 'results',
      throwOnFailure: true,
    }),
    (e: unknown) => e instanceof RunFailedError && e.code === 'ERR_BOT' && e.exitCode === 3 && e.dir === thrown.dir,
  );
  const meta = JSON.parse(readFileSync(join(thrown.dir, 'run.json'), 'utf8')) as RunMeta;
  assert.equal(meta.status, 'failed');
  assert.equal(meta.error?.code, 'ERR_BOT');
  assert.ok(out.text.length > 0, 'the table is printed before the error');
  assert.ok(!out.text.includes('results: '));
});

test('a folder that stops taking writes: open and close fail with ERR_RESULTS_WRITE, exit 3', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'simload-session-full-'));
  const mount = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=256k', 'tmpfs', dir], { encoding: 'utf8' });
  if (mount.status !== 0)
    return t.skip(`cannot mount a small tmpfs to fill (${(mount.stderr || String(mount.error)).trim()}): needs root`);
  const free = () => statfsSync(dir).bavail * statfsSync(dir).bsize;
  try {
    // Room for run.json, not for scenario.yaml beside it.
    writeFileSync(join(dir, 'filler'), Buffer.alloc(free() - 4096));
    await assert.rejects(
      recorded({ base: dir }),
      (e: unknown) => e instanceof SimloadError && e.code === 'ERR_RESULTS_WRITE' && e.exitCode === 3,
    );
    writeFileSync(join(dir, 'filler'), '');
    // Room for the folder's first files, not for the fixture's samples.
    const session = await recorded({ base: dir, samples: false });
    writeFileSync(join(dir, 'filler'), Buffer.alloc(free() - 8192));
    for (const s of SAMPLES) session.writer.appendSample(s);
    const out = new Text();
    await assert.rejects(
      session.close({ status: 'complete', expect: [], judgeValidity: true, out, paths: 'results' }),
      (e: unknown) => e instanceof RunFailedError && e.code === 'ERR_RESULTS_WRITE' && e.exitCode === 3,
    );
    assert.equal(session.signal.aborted, true, 'the write error stopped the session');
    assert.equal(session.status, 'failed');
    const meta = JSON.parse(readFileSync(join(session.dir, 'run.json'), 'utf8')) as RunMeta;
    assert.equal(meta.status, 'failed');
    assert.equal(meta.error?.code, 'ERR_RESULTS_WRITE');
  } finally {
    spawnSync('umount', [dir]);
  }
});
