// The files of one run folder, results/<scenario>-<timestamp>/. Collection writes them; the report reads
// only these, so it can be rendered again without a new run (0x/clinic style).

export const RESULT_FILES = {
  /** The scenario file's text as it was run. */
  scenarioText: 'scenario.yaml',
  /** The validated Scenario (scenario/types.ts) as JSON. */
  scenario: 'scenario.json',
  /** One Sample (results/sample.ts) per line, appended as taken. */
  samples: 'samples.ndjson',
  /**
   * A long watch's samples older than its full-resolution window (`retention` in run.json), downsampled
   * (results/downsample.ts): NDJSON, one gzip member appended per rotation (results/rotate.ts).
   */
  samplesOlder: 'samples-older.ndjson.gz',
  /** One RunEvent per line: phase changes, pressure, errors, interruptions. */
  events: 'events.ndjson',
  /** Latency histograms per variant and phase (LatencyFile). */
  latency: 'latency.json',
  /** Run metadata (RunMeta), rewritten at start and end. */
  run: 'run.json',
  /** Computed metrics (report/summary), versioned. */
  summary: 'summary.json',
  report: 'report.html',
  chart: 'chart.svg',
  /** Capacity planning results (plan/), when the folder is a plan. */
  plan: 'plan.json',
  /** While a watch writes the folder: its pid and what tells that process from a later one (watch/lock.ts). */
  watchLock: 'watch.lock',
} as const;

export interface RunMeta {
  tool: 'simload';
  version: string;
  scenario: string;
  startedAt: string;
  endedAt: string | null;
  status: 'running' | 'complete' | 'interrupted' | 'failed';
  variants: string[];
  parallel: boolean;
  host: { cpus: number; memBytes: number; kernel: string; node: string };
  error?: { code: string; message: string };
  /** Set once the report is computed: did every variant deliver its load (analysis/validity.ts)? */
  validity?: { valid: boolean; reasons: string[] };
  /**
   * A watch that keeps full resolution for its last `fullMs` only: older samples are moved to samplesOlder,
   * downsampled to a few per `periodMs`.
   */
  retention?: { fullMs: number; periodMs: number };
  /** Each time a watch was started again into this folder (`simload watch --resume`), in order. */
  resumes?: ResumeRecord[];
}

/** A watch started again into its folder: when, and the time nothing was recorded before it. */
export interface ResumeRecord {
  /** When the watch started again (ISO time). */
  at: string;
  /** The gap, ms since the watch first began (sample `t`): from the last record before it to the restart. */
  gapFromMs: number;
  gapToMs: number;
  /** What run.json said before (`running`: the watch was killed or crashed and never said how it ended). */
  previousStatus: RunMeta['status'];
  /** The process watched after the restart. */
  pid: number;
  /** Bytes of a last line cut off mid-write by the crash, dropped so that appending goes on cleanly. */
  tornBytes: number;
}

export type RunEvent =
  | { type: 'phase'; variant: string; wall: number; t: number; phaseIndex: number; phase: string; target: number }
  | { type: 'variant-start'; variant: string; wall: number; pid: number }
  | { type: 'variant-end'; variant: string; wall: number; t: number }
  | {
      type: 'pressure';
      variant: string;
      wall: number;
      t: number;
      action: 'apply' | 'release' | 'skipped' | 'oom-kill';
      limitBytes: number | null;
      detail: string;
    }
  | { type: 'error'; variant: string | null; wall: number; code: string; message: string }
  | { type: 'interrupted'; wall: number; signal: string }
  /** A watch started again into this folder after a gap (run.json's `resumes` has the details). */
  | { type: 'resumed'; variant: string; wall: number; t: number; gapFromMs: number; pid: number }
  /** What the bots saw go wrong (not counted again as errors: latency.json counts them). First few only. */
  | { type: 'bot-error'; variant: string; wall: number; message: string };

/** latency.json: per variant, per phase label (`0:ramp`, `1:hold`, ...). */
export interface LatencyFile {
  unit: 'us';
  variants: Record<string, Record<string, LatencySummary>>;
}

export interface LatencySummary {
  count: number;
  p50: number;
  p90: number;
  p99: number;
  p999: number;
  max: number;
  mean: number;
  /** Messages sent and answered per second during the phase. */
  rate: number;
  errors: number;
  connectFailures: number;
  /** hdr-histogram-js base64 encoding, so percentiles can be recomputed or merged. */
  histogram: string;
}
