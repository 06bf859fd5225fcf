// `simload probe` engine: runs the child (dist/src/probe/child.js, by path) with the variant's environment and
// the probe's malloc_conf, then judges what it measured.
import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { resolveVariant, variantEnv } from '../alloc/variants.js';
import { ExitCode, SimloadError, UsageError } from '../errors.js';
import type { VariantOptions } from '../alloc/options.js';
import type { ChildReply, ProbeMeasurement, ProbeParams } from './messages.js';
import { readPurging, type PurgingReading } from './purging.js';

/**
 * The conf that shows whether a library can purge lazily. Measured on jemalloc 5.3.0:
 * - muzzy_decay_ms defaults to 0 since 5.2, which skips MADV_FREE altogether;
 * - dirty_decay_ms:0 purges freed pages fully (MADV_DONTNEED) at once, also skipping MADV_FREE;
 * - with any finite muzzy_decay_ms, freed extents that coalesce to >= 8 MiB (opt.oversize_threshold) are
 *   purged eagerly with MADV_DONTNEED (extent_record's "purge the oversize extent eagerly"); -1 turns that off.
 * So: dirty pages decay within 100 ms (the probe steps decay for 1 s) and muzzy pages are kept for good.
 */
export const PROBE_DEFAULT_CONF = 'dirty_decay_ms:100,muzzy_decay_ms:-1';

export interface ProbeOptions {
  variant: VariantOptions;
  /** Default 256 MiB. */
  targetBytes?: number;
  /** Default 1000 ms. */
  settleMs?: number;
  timeoutMs?: number;
}

export interface ProbeResult {
  variant: string;
  kind: 'jemalloc' | 'glibc';
  libPath: string | null;
  prefix: string;
  mallocConf: string | null;
  /** Where the conf came from. */
  confSource: 'user' | 'probe-default' | 'none';
  measurement: ProbeMeasurement;
  /** How the measurement reads (named `verdict` in the JSON `--json` prints). */
  verdict: PurgingReading;
}

const childPath = join(dirname(fileURLToPath(import.meta.url)), 'child.js');

export async function runProbe(o: ProbeOptions): Promise<ProbeResult> {
  const r = resolveVariant(o.variant);
  const confSource: ProbeResult['confSource'] =
    r.kind === 'glibc' ? 'none' : o.variant.mallocConf !== undefined ? 'user' : 'probe-default';
  const variant: VariantOptions =
    confSource === 'probe-default' ? { ...o.variant, mallocConf: PROBE_DEFAULT_CONF } : o.variant;
  const env: Record<string, string | undefined> = {
    ...process.env,
    JE_MALLOC_CONF: undefined,
    MALLOC_CONF: undefined,
    ...variantEnv(variant),
  };
  const params: ProbeParams = {
    variant: { name: variant.name, build: variant.build, lib: variant.lib, prefix: variant.prefix },
    targetBytes: o.targetBytes ?? 256 * 1024 * 1024,
    settleMs: o.settleMs ?? 1000,
  };
  const reply = await runChild(params, env, o.timeoutMs ?? 120_000);
  const m = reply;
  return {
    variant: variant.name,
    kind: r.kind,
    libPath: r.libPath,
    prefix: r.prefix,
    mallocConf: r.confEnvVar ? (variant.mallocConf ?? null) : null,
    confSource,
    measurement: m,
    verdict: readPurging(m),
  };
}

function runChild(
  params: ProbeParams,
  env: Record<string, string | undefined>,
  timeoutMs: number,
): Promise<ProbeMeasurement> {
  return new Promise((resolve, reject) => {
    const clean = Object.fromEntries(Object.entries(env).filter((e): e is [string, string] => e[1] !== undefined));
    const child = spawn(process.execPath, [childPath, JSON.stringify(params)], {
      env: clean,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d));
    child.stderr.on('data', (d: Buffer) => (err += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    // Never leave the child behind if the parent is interrupted.
    const onExit = () => child.kill('SIGKILL');
    process.once('exit', onExit);
    child.on('error', (e) => reject(new SimloadError('ERR_PROBE', `cannot start the probe child: ${e.message}`)));
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      process.off('exit', onExit);
      // A preloaded jemalloc parses its conf before any of our code runs; its complaints only reach stderr.
      const complaint = /<jemalloc>:[^\n]*/.exec(err);
      if (complaint)
        return reject(
          new UsageError(
            'ERR_MALLOC_CONF',
            `jemalloc rejected malloc_conf "${env['JE_MALLOC_CONF'] ?? env['MALLOC_CONF'] ?? ''}": ${complaint[0]}`,
          ),
        );
      const line = out.trim().split('\n').pop() ?? '';
      let reply: ChildReply | null = null;
      try {
        reply = JSON.parse(line) as ChildReply;
      } catch {
        reply = null;
      }
      if (reply?.ok) return resolve(reply.m);
      if (reply && !reply.ok) return reject(new SimloadError(reply.code, reply.message, reply.exitCode as ExitCode));
      const how = signal
        ? `was killed by ${signal}${signal === 'SIGKILL' ? ` (timeout ${timeoutMs} ms?)` : ''}`
        : `exited with code ${code}`;
      reject(
        new SimloadError(
          'ERR_PROBE',
          `the probe child ${how} without a result${err.trim() ? `: ${err.trim().split('\n').slice(-5).join(' | ')}` : ''}`,
        ),
      );
    });
  });
}
