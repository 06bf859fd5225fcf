// A real Prometheus scrapes `simload run --metrics` during a short real run; what it stored must be the run
// folder's samples. Each point Prometheus keeps (scrape time T, value V) must equal the sample that was current at
// T: the last one whose values reached the endpoint by T (samples reach it one interval apart, so it is the sample
// taken within one interval before the scrape). When each reached it is heard on the run folder's writer.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { runScenario } from '../../src/run/run.js';
import { loadScenario } from '../../src/scenario/load.js';
import { LiveOutputs } from '../../src/live/outputs.js';
import type { Sample } from '../../src/results/sample.js';
import { tinyScenario, tinyScenarioFile } from '../run/fixtures.js';
import { prometheusMissing, startPrometheus } from './prometheus.js';
import { readNdjson } from '../helpers/ndjson.js';

const INTERVAL_MS = 1000;
/** Between Prometheus reading its clock for a scrape and the request reaching simload. */
const SLACK_MS = 200;

type Matrix = Array<{ metric: Record<string, string>; values: Array<[number, string]> }>;

test(
  'Prometheus scrapes --metrics at 1 s and stores the samples of the run folder',
  { skip: prometheusMissing() ?? false, timeout: 240_000 },
  async () => {
    // madv-free with muzzy pages kept: the players who leave leave LazyFree behind, so LazyFree is not all zeros.
    const variants =
      '  - name: madv-free\n    build: madv-free\n    malloc_conf: dirty_decay_ms:200,muzzy_decay_ms:-1\n';
    const text = tinyScenario({ variants, holdMs: 4000 })
      .replace('interval: 250ms', `interval: ${INTERVAL_MS}ms`)
      .replace('baseline: 750ms', 'baseline: 2s');
    const { dir, file } = await tinyScenarioFile(text);
    const { scenario, text: yaml } = await loadScenario(file);
    const live = new LiveOutputs({ metrics: { host: '127.0.0.1', port: 0, exposed: false }, page: null });
    await live.start();
    // When each sample's values were set: heard right after the endpoint's own listener, on the same writer.
    const setAt = new Map<number, number>();
    const attach = live.attach.bind(live);
    live.attach = (writer, s) => {
      attach(writer, s);
      writer.onRecord((r) => {
        if (r.kind === 'sample') setAt.set(r.sample.wall, Date.now());
      });
    };
    const target = new URL(live.urls.metrics!).host;
    const prom = await startPrometheus(target);
    try {
      // The target is up (one scrape went through) before the run starts.
      const until = Date.now() + 30_000;
      for (;;) {
        const up = await prom.api<{ result: Array<{ value: [number, string] }> }>('query', {
          query: 'up{job="simload"}',
        });
        if (up.result[0]?.value[1] === '1') break;
        assert.ok(Date.now() < until, `prometheus never scraped ${target}: ${prom.log()}`);
        await new Promise((r) => setTimeout(r, 250));
      }
      const r = await runScenario(scenario, yaml, { outDir: join(dir, 'results'), quiet: true, live });
      const samples = readNdjson<Sample>(join(r.dir, 'samples.ndjson'));
      const first = samples[0]!.wall;
      const last = samples.at(-1)!.wall;
      const stored = async (metric: string): Promise<Array<[number, number]>> => {
        const m = await prom.api<{ resultType: string; result: Matrix }>('query', {
          query: `${metric}{variant="madv-free"}[10m]`,
          time: String(last / 1000 + 5),
        });
        assert.equal(m.result.length, 1, `${metric}: one series, got ${JSON.stringify(m.result.map((x) => x.metric))}`);
        return m.result[0]!.values.map(([t, v]) => [Math.round(t * 1000), Number(v)]);
      };
      const checks: Array<[string, (s: Sample) => number]> = [
        ['simload_rss_bytes', (s) => s.proc.rss],
        ['simload_lazyfree_bytes', (s) => s.proc.lazyFree],
        ['simload_online_players', (s) => s.online],
      ];
      for (const [metric, of] of checks) {
        const points = await stored(metric);
        // One point per scrape over the run: at most a few scrapes lost at the ends (or to a slow one).
        const runSeconds = (last - first) / 1000;
        assert.ok(
          points.length >= runSeconds - 3,
          `${metric}: ${points.length} points over ${runSeconds.toFixed(1)} s`,
        );
        assert.ok(
          points[0]![0] <= first + 2 * INTERVAL_MS && points.at(-1)![0] >= last - 2 * INTERVAL_MS,
          `${metric}: points from ${points[0]![0] - first} to ${points.at(-1)![0] - first} ms of the run`,
        );
        // The sample current at T: set by T (plus the moments between Prometheus' clock reading and its request
        // arriving), the next one not yet set at T.
        const current = (t: number) =>
          samples.filter(
            (x, i) =>
              setAt.get(x.wall)! <= t + SLACK_MS && (i === samples.length - 1 || setAt.get(samples[i + 1]!.wall)! > t),
          );
        const off = points.filter(([t, v]) => !current(t).some((x) => of(x) === v));
        assert.deepEqual(
          off.map(
            ([t, v]) =>
              `t=${t - first} ms: ${v}; current: ${current(t)
                .map((x) => `${x.wall - first}:${of(x)}`)
                .join(' ')}`,
          ),
          [],
          `${metric}: every stored value is the sample current at its scrape`,
        );
        // Not one constant value: the series moved with the run.
        if (metric !== 'simload_lazyfree_bytes')
          assert.ok(
            new Set(points.map(([, v]) => v)).size >= 4,
            `${metric}: stored values ${points.map(([, v]) => v).join(',')}`,
          );
      }
      // The hold at the peak (2 s) was scraped.
      const online = await stored('simload_online_players');
      const peak = Math.max(...samples.map((x) => x.online));
      assert.ok(
        peak > 0 && Math.max(...online.map(([, v]) => v)) >= 0.9 * peak,
        `stored online peaked at ${Math.max(...online.map(([, v]) => v))}, the samples at ${peak}`,
      );
    } finally {
      await live.close();
      await prom.stop();
    }
  },
);
