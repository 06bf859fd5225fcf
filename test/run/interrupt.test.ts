import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import type { RunEvent, RunMeta } from '../../src/results/layout.js';
import { reportFolder, tinyScenario, tinyScenarioFile } from './fixtures.js';
import { ndjson, readNdjson } from '../helpers/ndjson.js';

const CLI = join(process.cwd(), 'bin', 'simload.js');

/** Pids whose parent is `ppid`, from /proc. */
function childrenOf(ppid: number): number[] {
  const out: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      // pid (comm) state ppid ...: comm may hold spaces, so split after the last ')'.
      const ppidField = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppidField === ppid) out.push(Number(name));
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}

function runDir(base: string): string | null {
  if (!existsSync(base)) return null;
  const d = readdirSync(base).find((n) => n.startsWith('tiny-'));
  return d ? join(base, d) : null;
}

/** Starts `simload run` on a tiny scenario with a long hold and waits until players are online (a sample
    with online > 50 is on disk). Returns the child, its stderr so far, its exit and the run folder. */
async function runUntilOnline() {
  const { dir, file } = await tinyScenarioFile(tinyScenario({ holdMs: 20_000 }));
  const base = join(dir, 'results');
  const child = spawn(process.execPath, [CLI, 'run', file, '--out', base], { stdio: ['ignore', 'pipe', 'pipe'] });
  const out = { stderr: '' };
  child.stderr.on('data', (d) => (out.stderr += String(d)));
  child.stdout.resume();
  const exited = new Promise<{ code: number | null; signal: string | null }>((r) =>
    child.on('exit', (code, signal) => r({ code, signal })),
  );
  const until = Date.now() + 45_000;
  for (;;) {
    assert.ok(Date.now() < until, `no players online in time; stderr:\n${out.stderr}`);
    const folder = runDir(base);
    const samples =
      folder && existsSync(join(folder, 'samples.ndjson')) ? readFileSync(join(folder, 'samples.ndjson'), 'utf8') : '';
    if (folder && ndjson<{ online: number }>(samples, { torn: true }).some((s) => s.online > 50)) {
      return { child, out, exited, folder };
    }
    await delay(200);
  }
}

// SIGHUP: the terminal or the ssh session went away; handled as Ctrl-C is, not the default death with 129.
for (const sig of ['SIGINT', 'SIGHUP'] as const)
  test(`${sig} during a run: results stay on disk, exit 130, no process left behind`, { timeout: 90_000 }, async () => {
    const { child, out, exited, folder } = await runUntilOnline();
    const kids = childrenOf(child.pid!);
    assert.ok(kids.length >= 1, 'the server runs as a child process of simload');

    child.kill(sig);
    const { code } = await exited;
    assert.equal(code, 130, `exit code; stderr:\n${out.stderr}`);

    const meta = JSON.parse(readFileSync(join(folder, 'run.json'), 'utf8')) as RunMeta;
    assert.equal(meta.status, 'interrupted');
    const samples = readNdjson(join(folder, 'samples.ndjson'), { torn: true });
    assert.ok(samples.length >= 3, 'samples recorded before the interrupt are on disk');
    const events = readNdjson<RunEvent>(join(folder, 'events.ndjson'));
    assert.ok(events.some((e) => e.type === 'interrupted' && e.signal === sig));
    const serverPids = events
      .filter((e): e is Extract<RunEvent, { type: 'variant-start' }> => e.type === 'variant-start')
      .map((e) => e.pid);
    assert.equal(serverPids.length, 1);
    assert.ok(kids.includes(serverPids[0]!), 'the recorded server pid was a child of simload');
    assert.ok(existsSync(join(folder, 'latency.json')), 'latency so far is written');
    assert.ok(existsSync(join(folder, 'summary.json')), 'the report of what was recorded is rendered');
    // Rendered again from the folder, it ends as the run did: interrupted, whatever the partial numbers say.
    const again = reportFolder(folder);
    assert.equal(again.code, 130, again.out + again.err);

    // No orphans: every child simload had is gone.
    for (let i = 0; i < 50 && kids.some(alive); i++) await delay(100);
    assert.deepEqual(kids.filter(alive), [], 'child processes left running');
  });

test('a bad scenario exits 2 before anything starts, listing every problem', { timeout: 30_000 }, async () => {
  const { dir, file } = await tinyScenarioFile(
    tinyScenario().replace('build: glibc', 'build: glibcc').replace('to: 33%', 'to: third'),
  );
  const child = spawn(process.execPath, [CLI, 'run', file, '--out', join(dir, 'results')], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += String(d)));
  const code = await new Promise<number | null>((r) => child.on('exit', (c) => r(c)));
  assert.equal(code, 2);
  assert.match(stderr, /2 problems in the scenario/);
  assert.match(stderr, /tiny\.yaml:11:12 variants\[0\]\.build: unknown build "glibcc"/);
  assert.match(stderr, /tiny\.yaml:19:19 load\.phases\[2\]\.ramp\.to: expected a count or a percentage/);
  assert.equal(existsSync(join(dir, 'results')), false, 'no run folder for a scenario that never ran');
});

test('simload schema prints the JSON Schema', { timeout: 30_000 }, async () => {
  const child = spawn(process.execPath, [CLI, 'schema'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  child.stdout.on('data', (d) => (stdout += String(d)));
  const code = await new Promise<number | null>((r) => child.on('exit', (c) => r(c)));
  assert.equal(code, 0);
  const schema = JSON.parse(stdout) as { title: string; properties: Record<string, unknown> };
  assert.equal(schema.title, 'simload scenario');
  assert.deepEqual(Object.keys(schema.properties).sort(), [
    'description',
    'expect',
    'load',
    'name',
    'output',
    'record',
    'server',
    'variants',
  ]);
});

test('a server that dies mid-run: exit 3, status failed, results so far on disk', { timeout: 90_000 }, async () => {
  const { dir, file } = await tinyScenarioFile(tinyScenario({ holdMs: 20_000 }));
  const base = join(dir, 'results');
  const child = spawn(process.execPath, [CLI, 'run', file, '--out', base], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += String(d)));
  child.stdout.resume();
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  let pid = 0;
  const until = Date.now() + 45_000;
  while (!pid) {
    assert.ok(Date.now() < until, `the server never started; stderr:\n${stderr}`);
    const folder = runDir(base);
    const events =
      folder && existsSync(join(folder, 'events.ndjson')) ? readFileSync(join(folder, 'events.ndjson'), 'utf8') : '';
    const start = ndjson<RunEvent>(events, { torn: true }).find((e) => e.type === 'phase' && e.phase === 'ramp');
    if (start) {
      pid = (ndjson<RunEvent>(events, { torn: true }).find((e) => e.type === 'variant-start') as { pid: number }).pid;
    } else {
      await delay(200);
    }
  }
  await delay(1000);
  process.kill(pid, 'SIGKILL');
  const code = await exited;
  assert.equal(code, 3, `exit code; stderr:\n${stderr}`);
  assert.match(stderr, /the server (exited during the run|process is gone)/);
  assert.match(stderr, /results so far: /);
  const folder = runDir(base)!;
  const meta = JSON.parse(readFileSync(join(folder, 'run.json'), 'utf8')) as RunMeta;
  assert.equal(meta.status, 'failed');
  assert.match(meta.error?.code ?? '', /^ERR_SERVER_(EXIT|GONE)$/);
  assert.ok(readNdjson(join(folder, 'samples.ndjson'), { torn: true }).length >= 3);
  // Rendered again from the folder, it ends as the run did: failed.
  const again = reportFolder(folder);
  assert.equal(again.code, 3, again.out + again.err);
});

test(
  'a second SIGINT kills at once: exit 130, run.json says interrupted, samples on disk, no server left',
  { timeout: 90_000 },
  async () => {
    const { child, out, exited, folder } = await runUntilOnline();
    const kids = childrenOf(child.pid!);
    child.kill('SIGINT');
    await delay(50);
    child.kill('SIGINT');
    assert.equal((await exited).code, 130, `exit code; stderr:\n${out.stderr}`);
    assert.match(out.stderr, /SIGINT again/);
    const meta = JSON.parse(readFileSync(join(folder, 'run.json'), 'utf8')) as RunMeta;
    assert.equal(meta.status, 'interrupted');
    assert.ok(meta.endedAt, 'the end time is recorded');
    assert.ok(readNdjson(join(folder, 'samples.ndjson'), { torn: true }).length >= 3);
    for (let i = 0; i < 50 && kids.some(alive); i++) await delay(100);
    assert.deepEqual(kids.filter(alive), [], 'child processes left running');
  },
);
