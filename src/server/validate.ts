// ServerOptions checked up front, with exact messages, before a server process starts anything.

import { UsageError } from '../errors.js';
import { MAX_CHANNELS_PER_CONNECTION } from './defaults.js';
import type { ServerOptions, SizeDistribution } from './options.js';

const LOOPBACK = new Set(['127.0.0.1', '::1', 'localhost']);
/** Workers are tracked in two 32-bit masks (see scheduler.ts). */
export const MAX_THREADS = 64;
/** A call's instruction budget at most: native/agent.c takes it as a C long long, and treats none as this. */
export const MAX_SCRIPT_INSTRUCTIONS = 1e12;
/** The gate's largest frame (ws maxPayload). */
export const MAX_FRAME_BYTES = 1 << 30;

function isInt(v: unknown, min: number, max = Number.MAX_SAFE_INTEGER): v is number {
  return typeof v === 'number' && Number.isInteger(v) && v >= min && v <= max;
}
function isNum(v: unknown, min: number, max = Number.MAX_VALUE): v is number {
  return typeof v === 'number' && Number.isFinite(v) && v >= min && v <= max;
}

function distributionProblems(d: SizeDistribution | undefined, path: string): string[] {
  if (!d || typeof d !== 'object')
    return [`${path}: must be a size distribution ({kind: 'classes'} or {kind: 'lognormal'})`];
  if (d.kind === 'classes') {
    if (!Array.isArray(d.classes) || d.classes.length === 0)
      return [`${path}.classes: must list at least one {size, weight}`];
    const out: string[] = [];
    d.classes.forEach((c, i) => {
      if (!isInt(c?.size, 1, 1 << 30))
        out.push(`${path}.classes[${i}].size: must be an integer from 1 to 1GiB, got ${JSON.stringify(c?.size)}`);
      if (!isNum(c?.weight, 0))
        out.push(`${path}.classes[${i}].weight: must be a number >= 0, got ${JSON.stringify(c?.weight)}`);
    });
    if (out.length === 0 && d.classes.every((c) => c.weight === 0))
      out.push(`${path}.classes: at least one weight must be above 0`);
    return out;
  }
  if (d.kind === 'lognormal') {
    const out: string[] = [];
    if (!isNum(d.median, 1)) out.push(`${path}.median: must be a size >= 1, got ${JSON.stringify(d.median)}`);
    if (!isNum(d.sigma, 0, 10)) out.push(`${path}.sigma: must be from 0 to 10, got ${JSON.stringify(d.sigma)}`);
    if (!isInt(d.min, 1, 1 << 30))
      out.push(`${path}.min: must be an integer from 1 to 1GiB, got ${JSON.stringify(d.min)}`);
    if (!isInt(d.max, 1, 1 << 30))
      out.push(`${path}.max: must be an integer from 1 to 1GiB, got ${JSON.stringify(d.max)}`);
    if (out.length === 0 && d.min > d.max) out.push(`${path}: min (${d.min}) is above max (${d.max})`);
    return out;
  }
  return [`${path}.kind: must be 'classes' or 'lognormal', got ${JSON.stringify((d as { kind?: unknown }).kind)}`];
}

/** Every problem with `o`, as `path: message`; empty when it is usable. */
export function serverOptionsProblems(o: ServerOptions): string[] {
  const p: string[] = [];
  if (!isInt(o.threads, 1, MAX_THREADS))
    p.push(`threads: must be an integer from 1 to ${MAX_THREADS}, got ${JSON.stringify(o.threads)}`);
  if (o.agent !== 'per-player' && o.agent !== 'pool')
    p.push(`agent: must be 'per-player' or 'pool', got ${JSON.stringify(o.agent)}`);
  if (o.agent === 'pool' && !isInt(o.poolSize, 1, 1_000_000))
    p.push(`poolSize: must be an integer >= 1 with agent 'pool', got ${JSON.stringify(o.poolSize)}`);
  if (o.exposed === true) {
    if (typeof o.host !== 'string' || !/^[A-Za-z0-9.:_-]{1,253}$/.test(o.host))
      p.push(`host: not an address or host name: ${JSON.stringify(o.host)}`);
  } else if (typeof o.host !== 'string' || !LOOPBACK.has(o.host)) {
    p.push(`host: simload only serves on loopback (127.0.0.1, ::1, localhost), got ${JSON.stringify(o.host)}`);
  }
  if (!isInt(o.port, 0, 65535))
    p.push(`port: must be an integer from 0 to 65535 (0 = any free port), got ${JSON.stringify(o.port)}`);
  if (!o.profile || !isInt(o.profile.objects, 1, 100_000))
    p.push(`profile.objects: must be an integer from 1 to 100000, got ${JSON.stringify(o.profile?.objects)}`);
  p.push(...distributionProblems(o.profile?.sizes, 'profile.sizes'));
  const c = o.churn;
  if (!c) p.push('churn: missing');
  else {
    if (!isInt(c.tempAllocsPerMessage, 0, 10_000))
      p.push(
        `churn.tempAllocsPerMessage: must be an integer from 0 to 10000, got ${JSON.stringify(c.tempAllocsPerMessage)}`,
      );
    p.push(...distributionProblems(c.tempSizes, 'churn.tempSizes'));
    if (!isNum(c.reallocRate, 0, 1))
      p.push(`churn.reallocRate: must be a probability from 0 to 1, got ${JSON.stringify(c.reallocRate)}`);
    if (!isInt(c.reallocStep, 0, 1 << 30))
      p.push(`churn.reallocStep: must be an integer number of bytes >= 0, got ${JSON.stringify(c.reallocStep)}`);
  }
  if (
    o.freeFirstWorkers !== undefined &&
    !isInt(o.freeFirstWorkers, 0, isInt(o.threads, 1, MAX_THREADS) ? o.threads : MAX_THREADS)
  ) {
    p.push(
      `freeFirstWorkers: must be an integer from 0 to threads (${JSON.stringify(o.threads)}), got ${JSON.stringify(o.freeFirstWorkers)}`,
    );
  }
  if (!isNum(o.logoutFreeDelayMs, 0, 2 ** 31 - 1))
    p.push(`logoutFreeDelayMs: must be a number of ms >= 0, got ${JSON.stringify(o.logoutFreeDelayMs)}`);
  if (!isInt(o.maxFrameBytes, 64, MAX_FRAME_BYTES))
    p.push(`maxFrameBytes: must be an integer from 64 to 1GiB, got ${JSON.stringify(o.maxFrameBytes)}`);
  if (!isInt(o.seed, -(2 ** 31), 2 ** 32 - 1)) p.push(`seed: must be a 32-bit integer, got ${JSON.stringify(o.seed)}`);
  if (o.sendHighWaterBytes !== undefined && !isInt(o.sendHighWaterBytes, 1024))
    p.push(`sendHighWaterBytes: must be an integer >= 1024, got ${JSON.stringify(o.sendHighWaterBytes)}`);
  if (o.maxInflightPerConnection !== undefined && !isInt(o.maxInflightPerConnection, 1))
    p.push(`maxInflightPerConnection: must be an integer >= 1, got ${JSON.stringify(o.maxInflightPerConnection)}`);
  if (o.maxChannelsPerConnection !== undefined && !isInt(o.maxChannelsPerConnection, 1, MAX_CHANNELS_PER_CONNECTION)) {
    p.push(
      `maxChannelsPerConnection: must be an integer from 1 to ${MAX_CHANNELS_PER_CONNECTION}, got ${JSON.stringify(o.maxChannelsPerConnection)}`,
    );
  }
  if (o.agentModel !== undefined && o.agentModel !== 'synthetic' && o.agentModel !== 'lua')
    p.push(`agentModel: must be 'synthetic' or 'lua', got ${JSON.stringify(o.agentModel)}`);
  if (o.agentModel === 'lua') {
    const s = o.script;
    if (!s || typeof s.source !== 'string' || typeof s.path !== 'string')
      p.push('script: agentModel lua needs a script ({path, source, maxInstructions, maxMemoryBytes})');
    else {
      if (!isInt(s.maxInstructions, 1000, MAX_SCRIPT_INSTRUCTIONS))
        p.push(
          `script.maxInstructions: must be an integer from 1000 to ${MAX_SCRIPT_INSTRUCTIONS}, got ${JSON.stringify(s.maxInstructions)}`,
        );
      if (!isInt(s.maxMemoryBytes, 64 * 1024))
        p.push(`script.maxMemoryBytes: must be an integer >= 64KiB, got ${JSON.stringify(s.maxMemoryBytes)}`);
    }
  }
  return p;
}

/** Throws UsageError ERR_SERVER_OPTIONS listing every problem. */
export function validateServerOptions(o: ServerOptions): void {
  const problems = serverOptionsProblems(o);
  if (problems.length > 0)
    throw new UsageError('ERR_SERVER_OPTIONS', `bad server options:\n  ${problems.join('\n  ')}`);
}
