// `simload fidelity`'s skynet side: each variant whose build is a skynet recipe (madv-free, no-madv-free) on a real
// skynet (skynet-driver.ts), one after another into a run folder of its own, opened and closed by a run session
// as `simload run`'s are (session/). The folder is not judged here: its report is drawn, and the pair's table
// (compare.ts) judges it against simload's side; what this side checks itself is that skynet delivered the load.
import { resolve } from 'node:path';
import { ExitCode, SimloadError, UsageError } from '../errors.js';
import { PEER_RECIPES, requirePeerSources, type PeerSources } from '../native/peers.js';
import { buildSkynet } from '../native/skynet-build.js';
import type { Summary } from '../analysis/index.js';
import type { Scenario } from '../scenario/types.js';
import { RunFailedError, RunSession } from '../session/session.js';
import { undelivered } from './delivered.js';
import { SKYNET_TRANSPORTS, skynetPlan, type SkynetTransport } from './plan.js';
import { runSkynetVariant, variantSamples } from './skynet-driver.js';

export { SKYNET_TRANSPORTS, type SkynetTransport } from './plan.js';

export interface SkynetRunOptions {
  /** The agent script, absolute (fidelity/script.ts). */
  script: string;
  /** Base folder of the run folder (default: the scenario's output.dir). */
  outDir?: string;
  /** Only these variants (names); default every variant with a skynet recipe. */
  variants?: string[];
  /** How the load reaches the agents; default `gate`. */
  transport?: SkynetTransport;
  signal?: AbortSignal;
  log?: (s: string) => void;
}

export interface SkynetRunResult {
  dir: string;
  summary: Summary;
  /** Variants left out, with why. */
  skipped: string[];
}

/**
 * What a skynet run checks before it starts anything (variants with a skynet recipe, the peer sources, the
 * transport, the phases): exit 2 on bad input, 3 without skynet sources. runSkynet calls it; `simload fidelity`
 * calls it before the simload side runs, so a mistake shows at once rather than after a whole simload run.
 */
export function checkSkynetRun(
  s: Scenario,
  o: SkynetRunOptions,
): { variants: Scenario['variants']; skipped: string[]; sources: PeerSources; transport: SkynetTransport } {
  const script = resolve(o.script);
  const real = s.variants.filter((v) => v.skynet !== undefined).map((v) => v.name);
  if (real.length > 0) {
    throw new UsageError(
      'ERR_FIDELITY_VARIANT',
      `${s.file ?? s.name}: ${real.join(', ')} ${real.length === 1 ? 'is a real skynet' : 'are real skynets'} already (\`skynet:\`): ` +
        '`simload run` runs it beside the simload variants into one folder and report; `simload fidelity` takes a scenario of simload variants',
    );
  }
  const skipped: string[] = [];
  const variants = s.variants.filter((v) => {
    if (o.variants && !o.variants.includes(v.name)) return false;
    const ok = v.build !== undefined && (PEER_RECIPES as readonly string[]).includes(v.build);
    if (!ok)
      skipped.push(
        `${v.name}: skynet links its own jemalloc; only builds ${PEER_RECIPES.join(' and ')} have a skynet peer`,
      );
    return ok;
  });
  if (variants.length === 0)
    throw new UsageError(
      'ERR_FIDELITY_VARIANT',
      `${s.file ?? s.name}: no variant with build ${PEER_RECIPES.join(' or ')} to run on skynet`,
    );
  const sources = requirePeerSources();
  const transport = o.transport ?? 'gate';
  if (!SKYNET_TRANSPORTS.includes(transport))
    throw new UsageError(
      'ERR_FIDELITY_TRANSPORT',
      `unknown skynet transport "${String(transport)}": one of ${SKYNET_TRANSPORTS.join(', ')}`,
    );
  // Validates the phases before anything starts.
  skynetPlan(s, { variant: '', samples: '', events: '', script, transport });
  return { variants, skipped, sources, transport };
}

export async function runSkynet(s: Scenario, text: string | null, o: SkynetRunOptions): Promise<SkynetRunResult> {
  const log = o.log ?? (() => undefined);
  const script = resolve(o.script);
  const { variants, skipped, sources, transport } = checkSkynetRun(s, o);
  const session = await RunSession.open({
    scenario: s,
    text,
    name: `${s.name}-skynet`,
    variants: variants.map((v) => v.name),
    parallel: false,
    outDir: o.outDir ?? s.output.dir,
    ...(o.outDir === undefined ? { within: process.cwd() } : {}),
    ...(o.signal ? { signal: o.signal } : {}),
  });
  // Stopped by the user's signal and by the first write the folder refuses.
  const { signal } = session;
  let error: SimloadError | null = null;
  try {
    for (const v of variants) {
      if (signal.aborted) break;
      const build = await buildSkynet({
        skynetSrc: sources.skynet,
        jemallocSrc: sources.jemalloc,
        recipe: v.build!,
        log,
      });
      const r = await runSkynetVariant(v, {
        scenario: s,
        writer: session.writer,
        build,
        script,
        transport,
        log,
        signal,
      });
      if (signal.aborted) break;
      const missed = undelivered(s, variantSamples(session.dir, v.name)) ?? r.gateShortfall;
      if (missed)
        throw new SimloadError('ERR_LOAD_NOT_DELIVERED', `skynet ${v.name} did not deliver the load: ${missed}`);
    }
  } catch (err) {
    error =
      err instanceof SimloadError
        ? err
        : new SimloadError('ERR_SKYNET_RUN', (err as Error).message, undefined, { cause: err });
    session.fail(error);
  }
  // Not judged here (no thresholds, no validity, nothing printed): the pair's table judges the folder.
  const end = await session
    .close({ status: session.status, error: session.failure, expect: [], judgeValidity: false, paths: 'results' })
    .catch((err: unknown) => {
      // A failed skynet that left nothing to draw (a bad script stops it before the first sample): its own error
      // says why, with its own exit code (2 for a script).
      if (error && err instanceof RunFailedError && err.cause === error) return null;
      throw err;
    });
  if (error) {
    error.message += `\nresults so far: ${session.dir}`;
    throw error;
  }
  if (session.interrupted)
    throw new SimloadError('ERR_INTERRUPTED', `interrupted; results so far: ${session.dir}`, ExitCode.interrupted);
  return { dir: session.dir, summary: end!.summary, skipped };
}
