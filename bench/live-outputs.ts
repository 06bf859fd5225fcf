// Part of `npm run bench:recorder`: what the live outputs (`--metrics`, `--live`) add to the recorder's CPU, side
// by side. One real server; rounds alternate between the recorder alone, with --metrics (a Prometheus-like scraper
// fetching /metrics after every sample), with --live (a page's event stream open) and with both; the scraper and
// the page are a child process, so only simload's side is counted. Samples are taken 1 s apart, as at 1 s
// intervals (the page sends an update per sample unless one costs more than its CPU share allows, page.ts). CPU is
// simload's process (all threads) over the round, per sample. Then the page update alone at a full history
// (MAX_POINTS samples per variant).

import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Recorder } from '../src/recorder/recorder.js';
import { RunWriter } from '../src/results/writer.js';
import type { Sample } from '../src/results/sample.js';
import { LiveOutputs } from '../src/live/outputs.js';
import { LiveHistory, MAX_POINTS } from '../src/live/history.js';
import { liveUpdate } from '../src/live/view.js';
import { defaultServerOptions } from '../src/server/defaults.js';
import { launchServer } from '../src/server/launch.js';
import type { VariantOptions } from '../src/alloc/options.js';

// The scraper and the page's reader: fetches /metrics when told, reads the event stream, reports bytes.
const CLIENT = `
let updates = 0, bytes = 0;
process.on('message', async (m) => {
  if (m.op === 'follow') {
    const r = await fetch(m.page + 'events');
    const reader = r.body.getReader();
    process.send({ op: 'following' });
    for (;;) { const { value, done } = await reader.read(); if (done) break; bytes += value.length; updates += (Buffer.from(value).toString().match(/^event: update$/gm) || []).length; }
  } else if (m.op === 'scrape') {
    const t = await (await fetch(m.metrics)).text();
    process.send({ op: 'scraped', length: t.length });
  } else if (m.op === 'count') process.send({ op: 'count', updates, bytes });
});
process.send({ op: 'ready' });
`;

export type LiveMode = 'off' | 'metrics' | 'page' | 'both';
const MODES: LiveMode[] = ['off', 'metrics', 'page', 'both'];

export interface LiveOverhead {
  /** Median CPU per sample of each mode. */
  us: Record<LiveMode, number>;
  /** Every round's CPU per sample, in the order taken. */
  rounds: Array<{ mode: LiveMode; us: number }>;
  pageFullUs: number;
  arenas: number;
  metricsBytes: number;
  updates: number;
  updateBytes: number;
}

const cpuUs = (u: NodeJS.CpuUsage) => u.user + u.system;
const med = (x: number[]) => [...x].sort((p, q) => p - q)[x.length >> 1]!;

export async function liveOverhead(
  variant: VariantOptions,
  samplesPerRound: number,
  rounds: number,
): Promise<LiveOverhead> {
  const server = await launchServer({ options: defaultServerOptions(), variant });
  const base = await mkdtemp(join(tmpdir(), 'simload-bench-live-'));
  const client = spawn(process.execPath, ['-e', CLIENT], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const ask = <T>(m: object, want: string) =>
    new Promise<T>((resolve) => {
      const on = (r: { op: string }) => {
        if (r.op !== want) return;
        client.off('message', on);
        resolve(r as T);
      };
      client.on('message', on);
      client.send(m);
    });
  await new Promise((r) => client.once('message', r));
  const per: Record<LiveMode, number[]> = { off: [], metrics: [], page: [], both: [] };
  const all: LiveOverhead['rounds'] = [];
  let last: Sample | null = null;
  let metricsBytes = 0;
  let counted = { updates: 0, bytes: 0 };
  try {
    for (let r = 0; r < rounds; r++) {
      for (const mode of MODES) {
        const writer = await RunWriter.create(base, `bench-${r}-${mode}`, {
          scenario: 'bench',
          variants: [variant.name],
          parallel: false,
          host: { cpus: 2, memBytes: 0, kernel: '', node: '' },
        });
        const addr = { host: '127.0.0.1', port: 0, exposed: false };
        const live = LiveOutputs.fromFlags({
          metrics: mode === 'metrics' || mode === 'both' ? addr : null,
          page: mode === 'page' || mode === 'both' ? addr : null,
        });
        if (live) {
          await live.start();
          live.attach(writer, null);
        }
        // Sampled only when asked: no schedule of its own within the round.
        const recorder = new Recorder({ writer, intervalMs: 3_600_000 });
        recorder.track(variant.name, server, () => ({ phaseIndex: 0, phase: 'hold', target: 0 }));
        await recorder.sampleNow(variant.name);
        if (live?.urls.page) await ask({ op: 'follow', page: live.urls.page }, 'following');
        const u0 = process.cpuUsage();
        for (let i = 0; i < samplesPerRound; i++) {
          last = (await recorder.sampleNow(variant.name)) ?? last;
          if (live?.urls.metrics)
            metricsBytes = (await ask<{ length: number }>({ op: 'scrape', metrics: live.urls.metrics }, 'scraped'))
              .length;
          await new Promise((res) => setTimeout(res, 1000));
        }
        const us = cpuUs(process.cpuUsage(u0)) / samplesPerRound;
        per[mode].push(us);
        all.push({ mode, us });
        if (mode === 'both') counted = await ask({ op: 'count' }, 'count');
        await recorder.close();
        await writer.finish('complete');
        await live?.close();
      }
    }
  } finally {
    client.kill();
    await server.stop();
    await rm(base, { recursive: true, force: true });
  }
  // The page's update at the largest history it keeps: MAX_POINTS copies of the last real sample, one per second.
  const h = new LiveHistory(
    '/bench',
    () => ({
      tool: 'simload',
      version: '',
      scenario: 'bench',
      startedAt: '',
      endedAt: null,
      status: 'running',
      variants: [variant.name],
      parallel: false,
      host: { cpus: 2, memBytes: 0, kernel: '', node: '' },
    }),
    null,
  );
  for (let i = 0; i < MAX_POINTS; i++) h.addSample({ ...last!, t: i * 1000, wall: last!.wall + i * 1000 });
  const times: number[] = [];
  for (let i = 0; i < 5; i++) {
    const u0 = process.cpuUsage();
    JSON.stringify(liveUpdate(h));
    times.push(cpuUs(process.cpuUsage(u0)));
  }
  return {
    us: { off: med(per.off), metrics: med(per.metrics), page: med(per.page), both: med(per.both) },
    rounds: all,
    pageFullUs: med(times),
    arenas: last?.alloc?.arenas?.length ?? 0,
    metricsBytes,
    updates: counted.updates,
    updateBytes: counted.updates ? counted.bytes / counted.updates : 0,
  };
}
