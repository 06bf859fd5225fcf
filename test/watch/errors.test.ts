// `simload watch` from the command line when things go wrong: a pid that does not exist or is not ours, a
// process that exits mid-watch, Ctrl-C, a console nobody answers on, bad flags. Exit codes and folders.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, readFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { Sample } from '../../src/results/sample.js';
import type { RunEvent, RunMeta } from '../../src/results/layout.js';
import { ndjson } from '../helpers/ndjson.js';
import { watchArgs } from '../helpers/cli.js';

const BIN = fileURLToPath(new URL('../../../bin/simload.js', import.meta.url));

interface Ran {
  code: number | null;
  stdout: string;
  stderr: string;
}

function simload(args: string[], o: { stdin?: string; interruptAfterMs?: number; uid?: number } = {}): Promise<Ran> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      stdio: ['pipe', 'pipe', 'pipe'],
      ...(o.uid !== undefined ? { uid: o.uid, gid: o.uid } : {}),
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    if (o.stdin !== undefined) child.stdin.write(o.stdin);
    if (o.interruptAfterMs !== undefined) {
      // Counted from the first sample's message, so a slow start does not eat the watch.
      child.stdout.once('data', () => setTimeout(() => child.kill('SIGINT'), o.interruptAfterMs));
    }
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

async function readFolder(stdout: string) {
  const dir = /folder (\S+)/.exec(stdout)?.[1];
  assert.ok(dir, `no folder in:\n${stdout}`);
  return {
    dir,
    meta: JSON.parse(await readFile(join(dir, 'run.json'), 'utf8')) as RunMeta,
    samples: ndjson<Sample>(await readFile(join(dir, 'samples.ndjson'), 'utf8')),
    events: ndjson<RunEvent>(await readFile(join(dir, 'events.ndjson'), 'utf8')),
  };
}

test('a pid that does not exist, and bad flags: exit 2 with a message that says why', async () => {
  const gone = spawnSync('true').pid; // reaped: its pid names no process now
  // Side by side: each is refused before it watches anything.
  const [r, both, inj, addr, top] = await Promise.all([
    simload(['watch', '--pid', String(gone)]),
    simload(['watch', '--pid', '1', '--cmd', 'sleep 1']),
    simload(['watch', '--pid', String(process.pid), '--skynet-inject']),
    simload(['watch', '--pid', String(process.pid), '--skynet-console', 'localhost']),
    simload(['watch', '--pid', String(process.pid), '--skynet-top', '0']),
  ]);
  assert.equal(r.code, 2);
  assert.match(r.stderr, new RegExp(`--pid ${gone}: no such process`));
  assert.equal(both.code, 2);
  assert.match(both.stderr, /exactly one of --pid PID and --cmd/);
  assert.equal(inj.code, 2);
  assert.match(inj.stderr, /--skynet-inject needs --skynet-console/);
  assert.equal(addr.code, 2);
  assert.match(addr.stderr, /--skynet-console localhost: give HOST:PORT/);
  assert.equal(top.code, 2);
  assert.match(top.stderr, /--skynet-top 0: give a whole number from 1 to 1000/);
});

test('a pid of another user: exit 2, says whose it is', async (t) => {
  // As root every process is readable: then simload runs as nobody (65534) against a root process (this one);
  // otherwise it watches pid 1, which belongs to root.
  const root = process.getuid?.() === 0;
  const pid = root ? process.pid : 1;
  const owner = Number(/^Uid:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]);
  if (!root && owner === process.getuid?.()) return t.skip('pid 1 is ours here: no process of another user to watch');
  if (root) {
    // The checkout must be readable by nobody (a clone under a private home is not): else nothing to check.
    const probe = spawnSync(process.execPath, ['-e', `require('fs').accessSync(${JSON.stringify(BIN)})`], {
      uid: 65534,
      gid: 65534,
    });
    if (probe.status !== 0) return t.skip(`the checkout is not readable by nobody (${BIN})`);
  }
  const r = await simload(['watch', '--pid', String(pid)], root ? { uid: 65534 } : {});
  assert.equal(r.code, 2, r.stderr);
  assert.match(
    r.stderr,
    new RegExp(
      `--pid ${pid}: belongs to another user \\(uid ${owner}, simload runs as uid ${root ? 65534 : process.getuid?.()}\\)`,
    ),
  );
});

test(
  'a process that exits mid-watch: exit 3, the folder is complete with what was recorded',
  { timeout: 60_000 },
  async () => {
    const out = await mkdtemp(join(tmpdir(), 'simload-watch-'));
    const r = await simload(['watch', '--cmd', 'sleep 2', '--interval', '200ms', '--out', out, '--name', 'sleeper']);
    assert.equal(r.code, 3, r.stderr);
    assert.match(r.stderr, /process \d+ (is gone|exited)|exited/);
    const f = await readFolder(r.stdout);
    assert.equal(f.meta.status, 'failed');
    assert.equal(f.meta.error?.code, 'ERR_PROC_EXITED');
    assert.ok(f.samples.length >= 5, `${f.samples.length} samples of a 2 s process at 200 ms`);
    assert.ok(f.samples.every((s) => s.proc.rss > 0 && s.alloc === null));
    assert.ok(existsSync(join(f.dir, 'report.html')) && existsSync(join(f.dir, 'summary.json')));
  },
);

test(
  'Ctrl-C: exit 130, the folder complete, marks recorded, the started command stopped',
  { timeout: 60_000 },
  async () => {
    const out = await mkdtemp(join(tmpdir(), 'simload-watch-'));
    const r = await simload(
      ['watch', '--cmd', 'sleep 60', '--interval', '200ms', '--out', out, '--online-cmd', 'echo 42'],
      { stdin: 'peak\nnot a mark\n', interruptAfterMs: 1500 },
    );
    assert.equal(r.code, 130, r.stderr);
    assert.match(r.stderr, /not a mark: "not a mark"/);
    const f = await readFolder(r.stdout);
    assert.equal(f.meta.status, 'interrupted');
    assert.ok(f.events.some((e) => e.type === 'interrupted'));
    assert.ok(f.events.some((e) => e.type === 'phase' && e.phase === 'peak'));
    assert.ok(f.samples.length >= 5);
    assert.ok(
      f.samples.slice(1).every((s) => s.online === 42),
      'the online count from --online-cmd',
    );
    const start = f.events.find((e) => e.type === 'variant-start');
    assert.ok(start && start.type === 'variant-start');
    assert.equal(existsSync(`/proc/${start.pid}`), false, 'the started command is stopped');
  },
);

test(
  'a console nobody answers on: an event, /proc sampling goes on, exit 0 at --duration',
  { timeout: 60_000 },
  async () => {
    // A port that was free a moment ago: nothing listens there now.
    const srv = createServer();
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
    const port = (srv.address() as { port: number }).port;
    await new Promise<void>((r) => srv.close(() => r()));
    const sleeper = spawn('sleep', ['30']);
    const out = await mkdtemp(join(tmpdir(), 'simload-watch-'));
    try {
      const r = await simload([
        ...watchArgs(sleeper.pid!, '200ms', '1500ms', out),
        '--skynet-console',
        `127.0.0.1:${port}`,
      ]);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stderr, new RegExp(`skynet console 127.0.0.1:${port}: \`jmem\`: connect ECONNREFUSED`));
      const f = await readFolder(r.stdout);
      assert.equal(f.meta.status, 'complete');
      assert.equal(
        f.events.filter((e) => e.type === 'error' && e.code === 'ERR_CONSOLE_LOST').length,
        1,
        'one event, not one per sample',
      );
      assert.ok(
        f.samples.length >= 6 &&
          f.samples.every((s) => s.alloc === null && s.proc.rss > 0 && s.skynet?.consoleMs === null),
      );
    } finally {
      sleeper.kill();
    }
  },
);
