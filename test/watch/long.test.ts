// Long watches through the real CLI, of real processes and their /proc: a watch killed with SIGKILL and resumed
// into its folder (both halves read, the gap in run.json and the summary, marks kept, a torn last line
// dropped); samples.ndjson kept to a small window with the older samples downsampled and their peak still
// read; `report --from/--to` of a window only.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { appendFile, mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import { loadRun } from '../../src/analysis/load.js';
import type { Summary } from '../../src/analysis/summary.js';
import type { RunEvent, RunMeta } from '../../src/results/layout.js';
import type { Sample } from '../../src/results/sample.js';
import type { Scenario } from '../../src/scenario/types.js';
import { ndjson } from '../helpers/ndjson.js';
import { watchArgs } from '../helpers/cli.js';

const BIN = fileURLToPath(new URL('../../../bin/simload.js', import.meta.url));
const MiB = 1024 * 1024;

interface Ran {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** simload as a child; `onFolder` is called with the folder as soon as the watch prints it. */
function simload(
  args: string[],
  o: { stdin?: string; onFolder?: (dir: string, child: ChildProcess) => void } = {},
): Promise<Ran> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let told = false;
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
      const dir = / into (\S+)\n/.exec(stdout)?.[1];
      if (dir && !told && o.onFolder) {
        told = true;
        o.onFolder(dir, child);
      }
    });
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    if (o.stdin !== undefined) child.stdin.write(o.stdin);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A process whose Rss is known: 64 MiB filled at `upMs`, freed at `downMs`, then idle. */
function peaky(upMs: number, downMs: number): ChildProcess {
  const js = `setTimeout(() => { globalThis.b = Buffer.alloc(64 << 20, 1); }, ${upMs});
setTimeout(() => { globalThis.b = null; gc(); }, ${downMs});
setInterval(() => {}, 1000);`;
  return spawn(process.execPath, ['--expose-gc', '-e', js], { stdio: 'ignore' });
}

// The two watches side by side: each watches a process of its own that does nearly nothing, into a folder of
// its own; what is checked is the folder, not speed.
describe('long watches', { concurrency: true }, () => {
  test(
    'a watch killed with SIGKILL and resumed: both halves read, the gap recorded, marks kept, a torn line dropped',
    { timeout: 60_000 },
    async () => {
      const out = await mkdtemp(join(tmpdir(), 'simload-longwatch-'));
      const sleeper = spawn('sleep', ['60']);
      try {
        let dir = '';
        const first = await simload(
          ['watch', '--pid', String(sleeper.pid), '--interval', '200ms', '--out', out, '--name', 'lw'],
          {
            stdin: 'up\n',
            onFolder: (d, child) => {
              dir = d;
              setTimeout(() => child.kill('SIGKILL'), 2000);
            },
          },
        );
        assert.equal(first.code, null, 'killed');
        const killedMeta = JSON.parse(await readFile(join(dir, 'run.json'), 'utf8')) as RunMeta;
        assert.equal(killedMeta.status, 'running', 'a SIGKILL leaves run.json saying running');
        const before = ndjson<Sample>(await readFile(join(dir, 'samples.ndjson'), 'utf8'));
        assert.ok(before.length >= 5, `${before.length} samples before the kill`);
        // What a crash mid-write leaves: half a line at the end.
        const torn = '{"v":1,"variant":"lw","t":99999,"wa';
        await appendFile(join(dir, 'samples.ndjson'), torn);
        await sleep(1000);

        // No folder named: the newest lw-* in --out.
        const second = await simload([...watchArgs(sleeper.pid!, '200ms', '2s', out), '--name', 'lw', '--resume']);
        assert.equal(second.code, 0, second.stderr);
        assert.match(second.stdout, new RegExp(`resumed ${dir.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));

        const meta = JSON.parse(await readFile(join(dir, 'run.json'), 'utf8')) as RunMeta;
        assert.equal(meta.status, 'complete');
        assert.equal(meta.resumes?.length, 1);
        const r = meta.resumes![0]!;
        assert.equal(r.previousStatus, 'running');
        assert.equal(r.tornBytes, torn.length);
        assert.equal(r.pid, sleeper.pid);
        assert.ok(
          r.gapFromMs >= before.at(-1)!.t && r.gapToMs - r.gapFromMs >= 1000,
          `gap ${r.gapFromMs}..${r.gapToMs} after a 1 s pause`,
        );

        const run = await loadRun(dir);
        assert.equal(run.skippedLines, 0, 'the torn line was dropped, nothing unreadable left');
        const halves = [run.samples.filter((s) => s.t <= r.gapFromMs), run.samples.filter((s) => s.t >= r.gapToMs)];
        assert.equal(halves[0]!.length, before.length, 'every sample of the first half is still there');
        assert.ok(halves[1]!.length >= 8, `${halves[1]!.length} samples after the restart (2 s at 200 ms)`);
        assert.equal(halves[0]!.length + halves[1]!.length, run.samples.length, 'no sample inside the gap');
        assert.ok(
          run.samples.every((s, i) => i === 0 || s.t > run.samples[i - 1]!.t),
          't goes on from the first start',
        );
        assert.ok(
          halves[1]!.every((s) => s.phase === 'up' && s.phaseIndex === 0),
          'the mark before the kill still holds',
        );
        assert.ok(
          run.events.some((e: RunEvent) => e.type === 'resumed' && e.gapFromMs === r.gapFromMs && e.t === r.gapToMs),
        );
        const scenario = JSON.parse(await readFile(join(dir, 'scenario.json'), 'utf8')) as Scenario;
        assert.equal(scenario.load.phases.length, 1, 'the mark is in scenario.json after the restart');

        const summary = JSON.parse(await readFile(join(dir, 'summary.json'), 'utf8')) as Summary;
        assert.deepEqual(summary.gaps, [{ fromMs: r.gapFromMs, toMs: r.gapToMs }]);
        assert.equal(summary.variants[0]!.samples, run.samples.length);
        // The charts break the Rss line in the gap: a null point between the halves.
        const html = await readFile(join(dir, 'report.html'), 'utf8');
        const mid = Math.round((r.gapFromMs + r.gapToMs) / 2 / 100) / 10;
        assert.ok(html.includes(`[${mid},null]`), 'a null point in the gap');

        // A folder of another name, and one that is not a watch's: exit 2.
        const other = await simload([
          'watch',
          '--pid',
          String(sleeper.pid),
          '--duration',
          '1s',
          '--name',
          'other',
          '--resume',
          dir,
        ]);
        assert.equal(other.code, 2, other.stderr);
        assert.match(other.stderr, /of --name lw, not other/);
      } finally {
        sleeper.kill();
      }
    },
  );

  test(
    '--keep-full 3s on a 12 s watch: samples.ndjson holds the window, older samples downsampled keep their peak; report --from/--to',
    { timeout: 60_000 },
    async () => {
      const out = await mkdtemp(join(tmpdir(), 'simload-longwatch-'));
      const proc = peaky(1500, 4000);
      try {
        const r = await simload([
          'watch',
          '--pid',
          String(proc.pid),
          '--interval',
          '200ms',
          '--duration',
          '12s',
          '--keep-full',
          '3s',
          '--downsample',
          '1s',
          '--out',
          out,
          '--name',
          'rot',
        ]);
        assert.equal(r.code, 0, r.stderr);
        const dir = /folder (\S+)/.exec(r.stdout)![1]!;
        const full = ndjson<Sample>(await readFile(join(dir, 'samples.ndjson'), 'utf8'));
        const older = ndjson<Sample>(gunzipSync(readFileSync(join(dir, 'samples-older.ndjson.gz'))).toString('utf8'));
        const last = full.at(-1)!.t;
        // Rotated once the file spans more than max(1.25 x 3 s, 3 s + 1 s), cut on a 1 s boundary at or before
        // 3 s from the end: it spans 3 s to 4 s (plus the sample that crossed the line).
        const span = last - full[0]!.t;
        assert.ok(span >= 3000 - 200 && span <= 4000 + 400, `samples.ndjson spans ${span} ms`);
        assert.ok(
          older.length > 0 && older.every((s) => s.t < full[0]!.t),
          'the older file holds what is before the window',
        );
        // Periods of 1 s at 200 ms hold about 5 samples; each keeps its highest and lowest Rss, phase start, last.
        const periods = new Set(older.map((s) => Math.floor(s.t / 1000))).size;
        assert.ok(older.length <= periods * 4, `${older.length} older samples over ${periods} periods`);

        const run = await loadRun(dir);
        assert.equal(run.samples.length, older.length + full.length);
        assert.deepEqual(run.older, { samples: older.length, untilMs: older.at(-1)!.t });
        const peak = run.samples.reduce((a, s) => (s.proc.rss > a.proc.rss ? s : a));
        assert.ok(peak.t < full[0]!.t, `the peak (${peak.t} ms) is in the downsampled part`);
        assert.ok(peak.proc.rss - full.at(-1)!.proc.rss > 50 * MiB, 'the 64 MiB peak survived downsampling');
        const summary = JSON.parse(await readFile(join(dir, 'summary.json'), 'utf8')) as Summary;
        assert.equal(summary.variants[0]!.peakRss, peak.proc.rss);
        assert.equal(summary.older?.samples, older.length);
        assert.equal(summary.older?.periodMs, 1000);

        // A window from 1 s to 5 s after the start: its samples only, the peak in it.
        const w = await simload(['report', dir, '--from', '+1s', '--to', '+5s', '--json']);
        assert.equal(w.code, 0, w.stderr);
        const ws = JSON.parse(w.stdout) as Summary;
        const inside = run.samples.filter((s) => s.t >= 1000 && s.t <= 5000);
        assert.deepEqual(ws.window, { fromMs: 1000, toMs: 5000, samples: inside.length });
        assert.equal(ws.variants[0]!.samples, inside.length);
        const insidePeak = inside.reduce((m, s) => Math.max(m, s.proc.rss), 0);
        assert.equal(ws.variants[0]!.peakRss, insidePeak);
        assert.ok(insidePeak - full.at(-1)!.proc.rss > 50 * MiB, 'the window holds part of the 64 MiB plateau');
        assert.ok(
          existsSync(join(dir, 'window-1s-5s', 'report.html')) && existsSync(join(dir, 'window-1s-5s', 'summary.json')),
        );
        // The last 2 s: only full-resolution samples, without the peak.
        const tail = await simload(['report', dir, '--from', '-2s', '--json']);
        assert.equal(tail.code, 0, tail.stderr);
        const ts = JSON.parse(tail.stdout) as Summary;
        assert.equal(ts.variants[0]!.samples, run.samples.filter((s) => s.t >= last - 2000).length);
        assert.ok(ts.variants[0]!.peakRss < peak.proc.rss - 50 * MiB);
        assert.equal(ts.older, undefined);
        // The whole report is untouched by the windows.
        assert.equal((JSON.parse(await readFile(join(dir, 'summary.json'), 'utf8')) as Summary).window, undefined);

        const empty = await simload(['report', dir, '--from', '+100h']);
        assert.equal(empty.code, 2);
        assert.match(empty.stderr, /no samples from \+100h/);
      } finally {
        proc.kill();
      }
    },
  );
});
