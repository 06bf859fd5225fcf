// The live outputs of one recording (`--metrics`, `--live`): started before the recording (a port that cannot
// be had is found before anything runs), fed every sample and event the run folder's writer takes, and the
// bots' latency when a run has bots; ended with the run's verdict. run/, serve/ and watch/ only call these.

import { basename } from 'node:path';
import type { LatencySummary } from '../results/layout.js';
import type { RunRecord, RunWriter } from '../results/writer.js';
import type { Scenario } from '../scenario/types.js';
import type { ListenAddress } from './address.js';
import { LiveHistory } from './history.js';
import { MetricsEndpoint } from './metrics-endpoint.js';
import { SampleMetrics } from './metrics.js';
import { LivePage, type LiveEnd } from './page.js';

export type { LiveEnd } from './page.js';

export interface LiveOptions {
  metrics: ListenAddress | null;
  page: ListenAddress | null;
}

export class LiveOutputs {
  private readonly metrics: SampleMetrics | null;
  private readonly endpoint: MetricsEndpoint | null;
  private readonly page: LivePage | null;
  private history: LiveHistory | null = null;
  private closed = false;

  constructor(o: LiveOptions) {
    this.metrics = o.metrics ? new SampleMetrics() : null;
    this.endpoint = o.metrics && this.metrics ? new MetricsEndpoint(this.metrics, o.metrics) : null;
    this.page = o.page ? new LivePage(o.page) : null;
  }

  /** Null when neither flag was given. */
  static fromFlags(o: LiveOptions): LiveOutputs | null {
    return o.metrics || o.page ? new LiveOutputs(o) : null;
  }

  /** Listens; returns what to print (one line per output). Closes what it opened when one fails. */
  async start(): Promise<string[]> {
    const lines: string[] = [];
    try {
      if (this.endpoint)
        lines.push(`metrics: ${await this.endpoint.start()} (OpenMetrics, for Prometheus; docs/live.md)`);
      if (this.page) lines.push(`live page: ${await this.page.start()}`);
    } catch (err) {
      await this.close();
      throw err;
    }
    return lines;
  }

  /** Where the outputs listen, once started. */
  get urls(): { metrics: string | null; page: string | null } {
    return { metrics: this.endpoint?.url ?? null, page: this.page?.url ?? null };
  }

  /** Follows the run folder's writer from now on. `scenario`: what the run is judged by (a watch's marks). */
  attach(writer: RunWriter, scenario: Scenario | null): void {
    const h = (this.history = new LiveHistory(writer.dir, () => writer.runMeta, scenario));
    this.page?.follow(h);
    const run = basename(writer.dir);
    writer.onRecord((r: RunRecord) => {
      if (r.kind === 'sample') {
        if (this.metrics) {
          this.metrics.runInfo(r.sample.variant, run, writer.runMeta.scenario);
          this.metrics.observe(r.sample);
        }
        if (this.page) h.addSample(r.sample);
      } else {
        this.metrics?.event(r.event);
        if (this.page) h.addEvent(r.event);
      }
      this.page?.changed();
    });
  }

  /** The bots' latency so far, per phase (latency.json's form); a run polls it only when this is true. */
  get wantsLatency(): boolean {
    return this.metrics !== null || this.page !== null;
  }

  latency(variant: string, phases: Record<string, LatencySummary>): void {
    this.metrics?.observeLatency(variant, phases);
    if (this.page && this.history) {
      this.history.setLatency(variant, phases);
      this.page.changed();
    }
  }

  /** The run ended with a verdict: the page shows the report; then everything closes. */
  async finish(end: LiveEnd): Promise<void> {
    if (this.closed) return;
    await this.page?.finish(end);
    await this.close();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.all([this.endpoint?.close(), this.page?.close()]);
  }
}
