// `simload plan` and pressure phases end to end through the real CLI: real servers, bots and cgroups, on a
// tiny scenario (400 players at most).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { detectMemoryCgroup, pidAlive } from '../../src/cgroup/memory-cgroup.js';
import { predict, type PlanFile } from '../../src/results/plan.js';
import { simloadCli, simloadEach } from '../helpers/cli.js';
import { waitFor } from '../helpers/wait.js';
import { readNdjson } from '../helpers/ndjson.js';

const BIN = fileURLToPath(new URL('../../../bin/simload.js', import.meta.url));
const TINY = fileURLToPath(new URL('../../../test/plan/fixtures/tiny.yaml', import.meta.url));
const MiB = 1024 * 1024;
const cg = detectMemoryCgroup();

function cli(args: string[], env: Record<string, string> = {}) {
  return spawnSync(process.execPath, [BIN, ...args], {
    encoding: 'utf8',
    timeout: 120_000,
    env: { ...process.env, ...env },
  });
}

test('bad flags are refused before anything runs, with the flag and the reason', async () => {
  const cases: Array<[string[], RegExp]> = [
    [['--budget', 'lots'], /^simload: --budget: expected a size such as 4GiB or 1500MB, got "lots"$/m],
    [
      ['--budget', '1GiB', '--headroom', '150%'],
      /^simload: --headroom: expected a share from 0% to below 100% such as 10%, got "150%"$/m,
    ],
    [
      ['--budget', '1GiB', '--points', '1'],
      /^simload: --points: expected a whole number of at least 2 \(a line needs two points\), got 1$/m,
    ],
  ];
  const [runs, r] = await Promise.all([
    simloadEach(cases.map(([flags]) => ['plan', TINY, ...flags])),
    simloadCli(['plan', TINY, '--budget', '1GiB', '--verify'], {
      env: { ...process.env, SIMLOAD_CGROUP_ROOT: '/nonexistent/cg' },
    }),
  ]);
  for (const [i, [, message]] of cases.entries()) {
    assert.equal(runs[i]!.code, 2, runs[i]!.stderr);
    assert.match(runs[i]!.stderr, message);
  }
  assert.equal(r.code, 2, r.stderr);
  assert.match(
    r.stderr,
    /^simload: --verify needs a memory cgroup to hold the server to the budget, and SIMLOAD_CGROUP_ROOT=\/nonexistent\/cg: no such cgroup folder$/m,
  );
});

test(
  'plan --verify on a tiny scenario: two runs, a fit, a recommendation that survives the budget as a hard limit',
  { timeout: 150_000, skip: cg.available ? false : `no memory cgroup: ${cg.available ? '' : cg.reason}` },
  async () => {
    const out = await mkdtemp(join(tmpdir(), 'simload-plan-'));
    try {
      const r = cli(['plan', TINY, '--budget', '200MiB', '--points', '2', '--verify', '--out', out, '--quiet']);
      assert.equal(r.status, 0, `${r.stdout}\n${r.stderr}`);
      const dir = join(
        out,
        readdirSync(out).find((n) => n.startsWith('tiny-plan-'))!,
      );
      const plan = JSON.parse(await readFile(join(dir, 'plan.json'), 'utf8')) as PlanFile;
      assert.equal(plan.status, 'complete');
      assert.deepEqual(plan.peaks, [200, 400]);
      const v = plan.variants[0]!;
      assert.equal(v.variant, 'madv-free');
      assert.equal(v.points.length, 2);
      for (const [i, p] of v.points.entries()) {
        assert.ok(
          Math.abs(p.players - plan.peaks[i]!) <= Math.max(5, plan.peaks[i]! * 0.02),
          `online ${p.players} vs ${plan.peaks[i]}`,
        );
        assert.ok(
          p.peakRss > p.baselineRss && p.peakUnreclaimable <= p.peakRss && p.settledUnreclaimable <= p.settledRss,
        );
      }
      const f = v.fit!;
      // ~145 KiB of state per player plus the server's own per-player cost.
      assert.ok(f.bytesPerPlayer > 100 * 1024 && f.bytesPerPlayer < 600 * 1024, `bytes/player ${f.bytesPerPlayer}`);
      assert.ok(f.baseBytes > 20 * MiB && f.baseBytes < 200 * MiB, `base ${f.baseBytes}`);
      assert.equal(f.recommended, Math.floor((200 * MiB * 0.9 - f.baseBytes) / f.bytesPerPlayer + 1e-9));
      assert.ok(predict(f.lines.peakRss, f.recommended!) <= 200 * MiB * 0.9);
      assert.ok(f.recommended! > 400, 'the budget holds more than the largest run');

      const verify = v.verify!;
      assert.equal(verify.result, 'passed', verify.detail);
      assert.equal(verify.players, f.recommended);
      assert.equal(verify.oomKills, 0);
      assert.ok(verify.peakRss! <= 200 * MiB, `verify peak Rss ${verify.peakRss}`);
      // The verify run's events show the hard limit applied from the start.
      const events = readNdjson<{ type: string; action?: string; limitBytes?: number }>(
        join(dir, verify.run!, 'events.ndjson'),
      );
      assert.ok(events.some((e) => e.type === 'pressure' && e.action === 'apply' && e.limitBytes === 200 * MiB));

      assert.match(r.stdout, /^madv-free\s+\S+ KiB\s+\S+ MiB\s+[01]\.\d{3}\s+\d+/m);
      const html = await readFile(join(dir, 'report.html'), 'utf8');
      assert.match(html, /<h2>Capacity plan<\/h2>/);
      assert.match(html, new RegExp(`madv-free@${f.recommended}-verify`));
      assert.deepEqual(
        readdirSync(cg.available ? cg.root : '/').filter((n) => n.startsWith(`simload-${r.pid}-`)),
        [],
        'no cgroup left',
      );
    } finally {
      await rm(out, { recursive: true, force: true });
    }
  },
);

test(
  'Ctrl-C during a pressure phase: exit 130, results kept, no cgroup and no server left',
  { timeout: 60_000, skip: cg.available ? false : 'no memory cgroup' },
  async () => {
    const out = await mkdtemp(join(tmpdir(), 'simload-press-'));
    const scenario = join(out, 'press.yaml');
    const text = (await readFile(TINY, 'utf8')).replace(
      /phases:[\s\S]*?\nrecord:/,
      'phases:\n    - ramp: { to: 200, over: 3s }\n    - pressure: { limit: 1GiB, for: 30s }\nrecord:',
    );
    await writeFile(scenario, text);
    const child = spawn(process.execPath, [BIN, 'run', scenario, '--out', out, '--quiet'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr!.on('data', (b: Buffer) => (stderr += b.toString()));
    try {
      const root = cg.available ? cg.root : '';
      const mine = () => readdirSync(root).filter((n) => n.startsWith(`simload-${child.pid}-`));
      await waitFor(
        () => `a group for the server\n${stderr}`,
        () => mine().length === 1,
        30_000,
        100,
      );
      const group = join(root, mine()[0]!);
      // The group is made first, then the server is moved in: wait for its pid.
      const procs = () => Number(readFileSafe(join(group, 'cgroup.procs')).split('\n')[0]);
      await waitFor(
        () => `the server to join its group\n${stderr}`,
        () => procs() > 0,
        10_000,
        50,
      );
      const serverPid = procs();
      // Wait until the limit is in force (the pressure phase began).
      const limitFile = join(group, cg.available && cg.version === 1 ? 'memory.limit_in_bytes' : 'memory.max');
      await waitFor(
        'the limit to be applied',
        () => existsSync(limitFile) && Number(readFileSafe(limitFile)) < 2 ** 40,
        20_000,
        100,
      );
      const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
      child.kill('SIGINT');
      assert.equal(await exited, 130, stderr);
      assert.equal(existsSync(group), false, 'group removed');
      assert.equal(mine().length, 0);
      await waitFor('the server process to be gone', () => !pidAlive(serverPid), 5000);
      const runDir = join(
        out,
        readdirSync(out).find((n) => n.startsWith('tiny-'))!,
      );
      const events = await readFile(join(runDir, 'events.ndjson'), 'utf8');
      assert.match(events, /"action":"apply"/);
      assert.match(events, /"type":"interrupted"/);
    } finally {
      child.kill('SIGKILL');
      await rm(out, { recursive: true, force: true });
    }
  },
);

function readFileSafe(file: string): string {
  try {
    return readFileSync(file, 'utf8').trim();
  } catch {
    return '';
  }
}
