// `npm run bench:longwatch -- WATCH_FOLDER [--days 7]`: what a week-long watch folder costs, built from a real
// watch's samples. The samples are repeated, shifted in time, for --days days of a watch at their interval, and
// written as a watch with the default --keep-full 24h --downsample 1m leaves its folder: the last day in
// samples.ndjson, the days before downsampled (results/downsample.ts) into samples-older.ndjson.gz, one gzip
// member per six hours as the rotations append them. Then renders the whole report and the last two hours'
// (`report --from -2h`) and prints the files' sizes, the time each report took and simload's peak Rss.

import { spawnSync } from 'node:child_process';
import { appendFileSync, copyFileSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { ndjson } from '../test/helpers/ndjson.js';
import { Downsampler } from '../src/results/downsample.js';
import type { Sample } from '../src/results/sample.js';

const src = process.argv[2];
if (!src || src.startsWith('--')) {
  process.stderr.write('usage: npm run bench:longwatch -- WATCH_FOLDER [--days 7]\n');
  process.exit(2);
}
const i = process.argv.indexOf('--days');
const days = i >= 0 ? Number(process.argv[i + 1]) : 7;
const DAY = 86_400_000;
const BIN = fileURLToPath(new URL('../../bin/simload.js', import.meta.url));

const real = ndjson<Sample>(readFileSync(join(src, 'samples.ndjson'), 'utf8'), { torn: true });
const span = real.at(-1)!.t - real[0]!.t;
const step = span / (real.length - 1);
const out = mkdtempSync(join(tmpdir(), 'simload-longwatch-bench-'));
for (const f of ['run.json', 'scenario.json', 'events.ndjson']) copyFileSync(join(src, f), join(out, f));
const meta = JSON.parse(readFileSync(join(out, 'run.json'), 'utf8')) as Record<string, unknown>;
writeFileSync(
  join(out, 'run.json'),
  JSON.stringify({ ...meta, retention: { fullMs: DAY, periodMs: 60_000 } }, null, 2),
);

/** The real samples, over and over, one every `step` ms from `from` to `to`. */
function* samples(from: number, to: number): Generator<Sample> {
  for (let n = Math.ceil(from / step); n * step < to; n++) {
    const s = real[n % real.length]!;
    const t = Math.round(n * step);
    yield { ...s, t, wall: real[0]!.wall - real[0]!.t + t };
  }
}

const olderFile = join(out, 'samples-older.ndjson.gz');
const fullFrom = (days - 1) * DAY;
for (let from = 0; from < fullFrom; from += DAY / 4) {
  const d = new Downsampler(60_000);
  const kept: Sample[] = [];
  for (const s of samples(from, from + DAY / 4)) kept.push(...d.push(s));
  kept.push(...d.flush());
  appendFileSync(olderFile, gzipSync(kept.map((s) => `${JSON.stringify(s)}\n`).join('')));
}
const lines: string[] = [];
let written = 0;
for (const s of samples(fullFrom, days * DAY)) {
  lines.push(`${JSON.stringify(s)}\n`);
  if (lines.length >= 10_000) {
    appendFileSync(join(out, 'samples.ndjson'), lines.join(''));
    written += lines.length;
    lines.length = 0;
  }
}
appendFileSync(join(out, 'samples.ndjson'), lines.join(''));
written += lines.length;

const mb = (f: string) => (statSync(join(out, f)).size / 1e6).toFixed(2);
process.stdout.write(
  `source: ${src}, ${real.length} samples at ${step.toFixed(0)} ms, ${(statSync(join(src, 'samples.ndjson')).size / real.length).toFixed(0)} B/sample\n` +
    `folder: ${out}, ${days} days: samples.ndjson ${mb('samples.ndjson')} MB (${written} samples, the last day), ` +
    `samples-older.ndjson.gz ${mb('samples-older.ndjson.gz')} MB (${days - 1} days: ${(statSync(olderFile).size / (days - 1) / 1e6).toFixed(2)} MB a day)\n`,
);
for (const args of [[], ['--from', '-2h']]) {
  const t0 = Date.now();
  const r = spawnSync('/usr/bin/time', ['-f', '%M', process.execPath, BIN, 'report', out, ...args, '--json'], {
    encoding: 'utf8',
    maxBuffer: 1 << 28,
  });
  const ms = Date.now() - t0;
  const peakKiB = Number(r.stderr.trim().split('\n').at(-1));
  const s = JSON.parse(r.stdout) as { variants: Array<{ samples: number }> };
  const win = readdirSync(out).find((n) => n.startsWith('window-'));
  const where = args.length && win ? join(out, win) : out;
  const html = (() => {
    try {
      return (statSync(join(where, 'report.html')).size / 1e6).toFixed(2);
    } catch {
      return '?';
    }
  })();
  process.stdout.write(
    `report ${args.join(' ') || '(whole folder)'}: exit ${r.status}, ${s.variants[0]?.samples} samples, ${(ms / 1000).toFixed(1)} s, peak Rss ${(peakKiB / 1024).toFixed(0)} MiB, report.html ${html} MB` +
      ` (load ${readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')})\n`,
  );
}
