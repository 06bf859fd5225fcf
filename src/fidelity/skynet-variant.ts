// A real skynet as a variant of `simload run` (`skynet: madv-free`, or `skynet: {build, tree, jemalloc}`): checked
// and built before the run folder exists, then run with the scenario's phases, agent script and players through
// skynet's gate into the run's folder, as runVariant runs a simload server. Whether it delivered its load is the
// report's to judge, from its samples, as for any variant; what only the gate clients saw (lost connections,
// messages not forwarded) is recorded as an ERR_LOAD_NOT_DELIVERED error event, which the report counts too.

import { existsSync } from 'node:fs';
import type { VariantOptions } from '../alloc/options.js';
import { SimloadError, UsageError } from '../errors.js';
import { peerSourcePaths, type PeerSources } from '../native/peers.js';
import { buildSkynet, type SkynetBuild } from '../native/skynet-build.js';
import type { ExternalVariantRunner } from '../run/external-variants.js';
import type { VariantOutcome, VariantRunContext } from '../run/variant.js';
import type { Scenario } from '../scenario/types.js';
import { skynetPlan, type SkynetTransport } from './plan.js';
import { agentScript } from './script.js';
import { runSkynetVariant } from './skynet-driver.js';

/** The sources a skynet variant builds from: the user's tree, else the peer sources; what is missing, else. */
export function skynetSources(v: VariantOptions, env: NodeJS.ProcessEnv = process.env): PeerSources | string {
  const sky = v.skynet!;
  if (sky.tree !== undefined && sky.jemalloc !== undefined) return { skynet: sky.tree, jemalloc: sky.jemalloc };
  const paths = peerSourcePaths(env);
  const missing = [
    ...(existsSync(paths.skynet)
      ? []
      : [`${paths.skynet} (${env['SKYNET_SRC'] !== undefined ? 'SKYNET_SRC' : 'the vendored skynet'})`]),
    ...(existsSync(paths.jemalloc)
      ? []
      : [
          `${paths.jemalloc} (${env['SKYNET_JEMALLOC_SRC'] !== undefined ? 'SKYNET_JEMALLOC_SRC' : 'the vendored jemalloc 5.0.1'})`,
        ]),
  ];
  if (missing.length === 0) return paths;
  return (
    `variant "${v.name}" (skynet: ${sky.build}) needs the skynet peer's sources, and ${missing.join(' and ')} ${missing.length === 1 ? 'does' : 'do'} not exist: ` +
    'set SKYNET_SRC to a skynet tree or tarball and SKYNET_JEMALLOC_SRC to its jemalloc (3rd/jemalloc or a release tarball), ' +
    'or name your skynet in the scenario: `skynet: {build, tree: PATH}`'
  );
}

export function skynetVariants(o: { transport?: SkynetTransport } = {}): ExternalVariantRunner {
  const transport = o.transport ?? 'gate';
  const builds = new Map<string, SkynetBuild>();
  let script = '';
  return {
    async prepare(s: Scenario, variants: VariantOptions[], log: (line: string) => void): Promise<void> {
      const problems: string[] = [];
      const sources = new Map<string, PeerSources>();
      for (const v of variants) {
        const src = skynetSources(v);
        if (typeof src === 'string') problems.push(src);
        else sources.set(v.name, src);
      }
      for (const check of [
        () => (script = agentScript(s, undefined)),
        () => skynetPlan(s, { variant: '', samples: '', events: '', script: '', transport }),
      ]) {
        try {
          check();
        } catch (err) {
          problems.push((err as Error).message);
        }
      }
      if (problems.length > 0)
        throw new UsageError(
          'ERR_SKYNET_VARIANT',
          problems.length === 1 ? problems[0]! : `cannot run ${s.name}:\n${problems.map((p) => `  ${p}`).join('\n')}`,
        );
      for (const v of variants) {
        const src = sources.get(v.name)!;
        builds.set(
          v.name,
          await buildSkynet({ skynetSrc: src.skynet, jemallocSrc: src.jemalloc, recipe: v.skynet!.build, log }),
        );
      }
    },

    async run(v: VariantOptions, c: VariantRunContext): Promise<VariantOutcome> {
      const build = builds.get(v.name);
      if (!build) throw new Error(`skynet variant ${v.name} was not prepared`);
      if (c.signal.aborted) return { variant: v.name, status: 'interrupted', error: null, phases: {}, spans: {} };
      c.progress?.print(
        `${v.name}: a real skynet (${build.recipe}, jemalloc ${build.jemallocVersion}), players through its ${transport}`,
      );
      try {
        const r = await runSkynetVariant(v, {
          scenario: c.scenario,
          writer: c.writer,
          build,
          script,
          transport,
          signal: c.signal,
          log: (line) => c.progress?.print(line),
        });
        if (c.signal.aborted) return { variant: v.name, status: 'interrupted', error: null, phases: {}, spans: {} };
        if (r.gateShortfall) {
          c.writer.appendEvent({
            type: 'error',
            variant: v.name,
            wall: Date.now(),
            code: 'ERR_LOAD_NOT_DELIVERED',
            message: r.gateShortfall,
          });
          c.progress?.print(`${v.name}: ${r.gateShortfall}`);
        }
        return { variant: v.name, status: 'complete', error: null, phases: {}, spans: {} };
      } catch (err) {
        const e =
          err instanceof SimloadError
            ? err
            : new SimloadError('ERR_SKYNET_RUN', `variant ${v.name}: ${(err as Error).message}`, undefined, {
                cause: err,
              });
        c.writer.appendEvent({ type: 'error', variant: v.name, wall: Date.now(), code: e.code, message: e.message });
        c.progress?.print(e.message);
        c.onFail?.(e);
        return { variant: v.name, status: 'failed', error: e, phases: {}, spans: {} };
      }
    },
  };
}
