// plan --verify: the recommended count of one variant, run under the budget as a hard cgroup limit from the
// server's start. Passed: no OOM kill and the run completed; failed: killed or the run failed; skipped: the
// limit could not be applied (said why) or there was nothing to verify.

import { relative } from 'node:path';
import type { ServerCgroups } from '../cgroup/server-cgroup.js';
import { ExitCode } from '../errors.js';
import { loadRun } from '../analysis/index.js';
import type { LatencyFile } from '../results/layout.js';
import type { PlanVariant, PlanVerify } from '../results/plan.js';
import type { RunWriter } from '../results/writer.js';
import type { Scenario } from '../scenario/types.js';
import { formatBytes } from '../units.js';
import { copySeries, runOnce, seriesName } from './runs.js';
import { scaleScenario } from './scale.js';

export async function verifyVariant(
  s: Scenario,
  pv: PlanVariant,
  budget: number,
  runsDir: string,
  writer: RunWriter,
  latency: LatencyFile,
  signal: AbortSignal,
  say: (l: string) => void,
  quiet: boolean | undefined,
  cgroups: ServerCgroups,
): Promise<PlanVerify> {
  const players = pv.fit?.recommended ?? null;
  const base = { limitBytes: budget, oomKills: 0, peakRss: null, peakUnreclaimable: null, run: null, series: null };
  if (players === null || players <= 0) {
    return { ...base, players: players ?? 0, result: 'skipped', detail: 'no recommendation to verify' };
  }
  say(`verify ${pv.variant}: ${players} players under a hard limit of ${formatBytes(budget)}`);
  const before = cgroups.oomKillsFor(pv.variant);
  const r = await runOnce(
    scaleScenario(s, players, { shortenHolds: true, dropPressure: true }),
    [pv.variant],
    runsDir,
    signal,
    quiet,
    cgroups,
  );
  const oomKills = cgroups.oomKillsFor(pv.variant) - before;
  const series = seriesName(pv.variant, players, '-verify');
  let peakRss: number | null = null;
  let peakUnreclaimable: number | null = null;
  let applied = false;
  let skippedWhy: string | null = null;
  if (r.dir) {
    const run = await loadRun(r.dir);
    copySeries(run, pv.variant, series, writer, latency);
    const samples = run.samples.filter((x) => x.variant === pv.variant);
    if (samples.length) {
      peakRss = Math.max(...samples.map((x) => x.proc.rss));
      peakUnreclaimable = Math.max(...samples.map((x) => x.proc.rss - x.proc.lazyFree));
    }
    for (const e of run.events) {
      if (e.type !== 'pressure' || e.variant !== pv.variant) continue;
      if (e.action === 'apply') applied = true;
      if (e.action === 'skipped') skippedWhy = e.detail;
    }
  }
  const rel = r.dir ? relative(writer.dir, r.dir) : null;
  const common = { ...base, players, oomKills, peakRss, peakUnreclaimable, run: rel, series: r.dir ? series : null };
  if (r.exitCode === ExitCode.interrupted) return { ...common, result: 'skipped', detail: 'interrupted' };
  if (r.exitCode === ExitCode.usage)
    return { ...common, result: 'skipped', detail: `the verify run could not start: ${r.error?.message ?? 'refused'}` };
  if (!applied) {
    return {
      ...common,
      result: 'skipped',
      detail: `the server did not run under the limit: ${skippedWhy ?? 'the run engine did not put the server into a memory cgroup (cgroup/server-cgroup.ts ServerCgroups.attach was not called)'}`,
    };
  }
  if (oomKills > 0)
    return {
      ...common,
      result: 'failed',
      detail: `the kernel OOM-killed the server ${oomKills} time(s) under ${formatBytes(budget)}`,
    };
  if (r.error) return { ...common, result: 'failed', detail: `the run failed: ${r.error.message}` };
  // A run that did not deliver its load did not show that the count fits: never a pass.
  const validity = r.summary?.variants.find((x) => x.variant === pv.variant)?.validity;
  if (validity && !validity.valid)
    return {
      ...common,
      result: 'failed',
      detail: `the run did not deliver its load (INVALID): ${validity.reasons[0]}`,
    };
  return {
    ...common,
    result: 'passed',
    detail: `survived the whole run under ${formatBytes(budget)} (peak Rss ${peakRss === null ? '?' : formatBytes(peakRss)})`,
  };
}
