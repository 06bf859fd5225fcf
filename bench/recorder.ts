// `npm run bench:recorder`: what the recorder's sampling costs, measured side by side in one run.
//  1. CPU per sample: the allocator's stats as the server reads them, base only (sl_stats: 8 mallctls) against
//     the full sample (base + per-arena decay + thread arenas), in a process with 8 worker threads that each
//     allocated objects of 16 B .. 14 KiB (so 8+ arenas are initialised and every small size class is in use, as
//     in the server); the size classes alone (sl_size_classes: 2 mallctls per bin + 3); plus the /proc read.
//     Expressed as % of one core at 1 s intervals (goal: under 1%).
//  2. Effect on the server's message rate: closed-loop clients against a real server, rounds alternating
//     between no sampling, sampling every 1 s and every 100 ms (stats over the control channel + /proc),
//     each round a fresh server. Prints rates and ratios against no sampling.
//  3. The live outputs (`--metrics`, `--live`, both) on and off, side by side (bench/live-outputs.ts): CPU per sample
//     of the recorder alone and with both on (a scrape and a page update per sample), as % of one core at 1 s.
// Flags: --variant NAME (madv-free) --jemalloc PATH (a source built with `simload build --source`)
//        --connections N (200) --seconds S (4) --rounds R (3) --calls K (2000)
//        --live-samples N (20 per round) --live-only (part 3 alone).

import { readFileSync } from 'node:fs';
import { Worker } from 'node:worker_threads';
import { MAX_POINTS } from '../src/live/history.js';
import { MIN_GAP_MS, PAGE_CPU_SHARE } from '../src/live/page.js';
import { Allocator } from '../src/alloc/allocator.js';
import { loadShim } from '../src/alloc/shim.js';
import { variantEnv } from '../src/alloc/variants.js';
import { readProcMemory } from '../src/proc/memory.js';
import { defaultServerOptions } from '../src/server/defaults.js';
import { launchServer } from '../src/server/launch.js';
import type { VariantOptions } from '../src/alloc/options.js';
import type { ClientsInit, ClientsResult } from './server-clients.js';
import { liveOverhead } from './live-outputs.js';

function flag(name: string, dflt: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1]! : dflt;
}
const variantName = flag('variant', 'madv-free');
const jemalloc = flag('jemalloc', '');
const connections = Number(flag('connections', '200'));
const seconds = Number(flag('seconds', '4'));
const rounds = Number(flag('rounds', '3'));
const calls = Number(flag('calls', '2000'));
const variant: VariantOptions = {
  name: variantName,
  build: variantName,
  mallocConf: 'dirty_decay_ms:10000,muzzy_decay_ms:10000',
  ...(jemalloc ? { jemalloc } : {}),
};

const cpuMs = (u: NodeJS.CpuUsage) => (u.user + u.system) / 1000;

async function perSampleCost(): Promise<{
  baseUs: number;
  fullUs: number;
  classesUs: number;
  procUs: number;
  arenas: number;
  threads: number;
  bins: number;
}> {
  for (const [k, v] of Object.entries(variantEnv(variant))) process.env[k] = v;
  const a = Allocator.load(variant);
  // 8 threads that load the allocator and allocate, as the server's workers do.
  const src = `const { workerData, parentPort } = require('node:worker_threads');
    import(workerData.url).then((m) => { const a = m.Allocator.load(workerData.variant); const s = a.allocSet(new Uint32Array(1000).map((_, i) => 16 + ((i * 137) % 14320))); parentPort.postMessage(s); });`;
  const workers = Array.from(
    { length: 8 },
    () =>
      new Worker(src, {
        eval: true,
        workerData: { url: new URL('../src/alloc/allocator.js', import.meta.url).href, variant },
      }),
  );
  await Promise.all(workers.map((w) => new Promise((r) => w.once('message', r))));
  const shim = loadShim();
  const out = new Float64Array(8);
  const time = (fn: () => unknown): number => {
    for (let i = 0; i < 50; i++) fn();
    const u0 = process.cpuUsage();
    for (let i = 0; i < calls; i++) fn();
    return (cpuMs(process.cpuUsage(u0)) * 1000) / calls;
  };
  // Alternate, so drift on the shared machine hits both.
  const base: number[] = [];
  const full: number[] = [];
  const classes: number[] = [];
  const bins = new Float64Array(256 * 4);
  const large = new Float64Array(2);
  for (let r = 0; r < 3; r++) {
    base.push(time(() => shim.stats(out)));
    full.push(time(() => a.stats()));
    classes.push(time(() => shim.sizeClasses(bins, 256, large)));
  }
  const u0 = process.cpuUsage();
  const n = Math.max(50, calls / 10);
  for (let i = 0; i < n; i++) await readProcMemory(process.pid);
  const procUs = (cpuMs(process.cpuUsage(u0)) * 1000) / n;
  const s = a.stats();
  for (const w of workers) await w.terminate();
  const med = (x: number[]) => [...x].sort((p, q) => p - q)[x.length >> 1]!;
  return {
    baseUs: med(base),
    fullUs: med(full),
    classesUs: med(classes),
    procUs,
    arenas: s.arenas?.length ?? 0,
    threads: s.threads?.length ?? 0,
    bins: s.sizeClasses?.bins.length ?? 0,
  };
}

function runClients(init: ClientsInit): Promise<ClientsResult> {
  return new Promise((resolve, reject) => {
    const w = new Worker(new URL('./server-clients.js', import.meta.url), { workerData: init });
    w.once('message', (r: ClientsResult) => resolve(r));
    w.once('error', reject);
  });
}

async function rateRound(
  intervalMs: number | null,
  tag: string,
): Promise<{ rate: number; samples: number; errors: number }> {
  const h = await launchServer({ options: { ...defaultServerOptions(), logoutFreeDelayMs: 0 }, variant });
  let samples = 0;
  let timer: NodeJS.Timeout | null = null;
  try {
    if (intervalMs !== null) {
      timer = setInterval(() => {
        void Promise.all([h.stats(), readProcMemory(h.pid)]).then(
          () => samples++,
          () => undefined,
        );
      }, intervalMs);
    }
    const r = await runClients({
      url: h.url,
      connections,
      warmupMs: 1000,
      measureMs: seconds * 1000,
      login: true,
      prefix: tag,
    });
    const s = await h.stats();
    return { rate: (r.roundTrips / r.ms) * 1000, samples, errors: r.errors + s.counters.errors };
  } finally {
    if (timer) clearInterval(timer);
    await h.stop();
  }
}

const liveOnly = process.argv.includes('--live-only');
if (!liveOnly) await samplingAndRate();
const liveSamples = Number(flag('live-samples', '20'));
const lo = await liveOverhead(variant, liveSamples, rounds);
const pct = (us: number) => `${(us / 1e4).toFixed(3)}%`;
const added = (us: number) =>
  `${(us - lo.us.off).toFixed(0).padStart(6)} us added, ${pct(us - lo.us.off)} of one core at 1 s (ratio ${(us / lo.us.off).toFixed(2)}x)`;
process.stdout.write(
  `live outputs: ${rounds} rounds of ${liveSamples} samples 1 s apart per mode, modes alternating; ${lo.arenas} arenas per sample\n` +
    `  rounds (us per sample): ${lo.rounds.map((r) => `${r.mode} ${r.us.toFixed(0)}`).join(', ')}\n` +
    `  recorder alone, CPU per sample:  ${lo.us.off.toFixed(0)} us (${pct(lo.us.off)} of one core at 1 s)\n` +
    `  + --metrics (a ${(lo.metricsBytes / 1024).toFixed(1)} KiB scrape per sample):  ${added(lo.us.metrics)}\n` +
    `  + --live (a page open):  ${added(lo.us.page)}\n` +
    `  + both (${lo.updates} page updates over the rounds with the page open, ${(lo.updateBytes / 1024).toFixed(1)} KiB each):  ${added(lo.us.both)} (goal < 1%: ${(lo.us.both - lo.us.off) / 1e4 < 1 ? 'met' : 'NOT met'})\n` +
    `  a page update at a full history (${MAX_POINTS} samples): ${(lo.pageFullUs / 1000).toFixed(1)} ms CPU; updates then come every ${(Math.max(MIN_GAP_MS, lo.pageFullUs / 1000 / PAGE_CPU_SHARE) / 1000).toFixed(1)} s, ${Math.min(lo.pageFullUs / 1e4, PAGE_CPU_SHARE * 100).toFixed(2)}% of one core\n`,
);
process.stdout.write(`load average: ${readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')}\n`);

async function samplingAndRate(): Promise<void> {
  const c = await perSampleCost();
  const pct1s = ((c.fullUs + c.procUs) / 1e6) * 100;
  process.stdout.write(
    `bench:recorder  variant ${variantName}${jemalloc ? ` (jemalloc ${jemalloc})` : ''}, ${c.arenas} arenas, ${c.threads} threads registered\n` +
      `  CPU per sample, allocator stats base only (8 mallctls):          ${c.baseUs.toFixed(1)} us\n` +
      `  CPU per sample, + per-arena decay, thread arenas, size classes:  ${c.fullUs.toFixed(1)} us  (ratio ${(c.fullUs / c.baseUs).toFixed(2)}x)\n` +
      `  of which size classes alone (${String(c.bins).padStart(2)} bins in use):                ${c.classesUs.toFixed(1)} us\n` +
      `  CPU per /proc read (smaps_rollup + status):                     ${c.procUs.toFixed(1)} us\n` +
      `  at 1 s intervals: ${pct1s.toFixed(3)}% of one core (goal < 1%: ${pct1s < 1 ? 'met' : 'NOT met'})\n`,
  );

  const modes: Array<{ label: string; interval: number | null }> = [
    { label: 'no sampling', interval: null },
    { label: 'sampling 1 s', interval: 1000 },
    { label: 'sampling 100 ms', interval: 100 },
  ];
  const rates = new Map<string, number[]>(modes.map((m) => [m.label, []]));
  let errors = 0;
  process.stdout.write(
    `message rate: ${connections} connections, ${rounds} rounds of ${seconds}s per mode, modes alternating\n`,
  );
  for (let r = 0; r < rounds; r++) {
    for (const m of modes) {
      const res = await rateRound(m.interval, `r${r}${m.interval ?? 0}`);
      errors += res.errors;
      rates.get(m.label)!.push(res.rate);
      process.stdout.write(
        `  round ${r + 1} ${m.label.padEnd(16)} ${Math.round(res.rate).toString().padStart(7)} msg/s  (${res.samples} samples)\n`,
      );
    }
  }
  const med = (x: number[]) => [...x].sort((p, q) => p - q)[x.length >> 1]!;
  const none = med(rates.get('no sampling')!);
  for (const m of modes) {
    const v = med(rates.get(m.label)!);
    process.stdout.write(
      `${m.label.padEnd(16)} median ${Math.round(v).toString().padStart(7)} msg/s  ratio to no sampling ${(v / none).toFixed(3)}\n`,
    );
  }
  process.stdout.write(`errors: ${errors}\n`);
  if (errors > 0) process.exitCode = 3;
}
