// The body of `simload serve`, loaded when the command runs (serve.ts holds its flags): one simulated server in
// the foreground, or with --record a recording judged like a run.

import { readInputFile } from '../input-file.js';
import { ExitCode, UsageError } from '../errors.js';
import { loadScenario, MAX_SCENARIO_BYTES } from '../scenario/load.js';
import { defaultServerOptions } from '../server/defaults.js';
import { launchServer, type ServerHandle } from '../server/launch.js';
import type { ServerOptions } from '../server/options.js';
import type { VariantOptions } from '../alloc/options.js';
import { buildNames } from '../alloc/variants.js';
import { playersGone, recordServe } from '../serve/record.js';
import { SIGNALS } from '../run/interrupt.js';
import type { Scenario } from '../scenario/types.js';
import { formatBytes, parseDuration } from '../units.js';
import { startLiveOutputs } from './live-flags.js';
import type { LiveOutputs } from '../live/outputs.js';

/** Server options and variants from --config: a scenario (.yaml/.yml) or a JSON object of ServerOptions overrides. */
async function readConfig(file: string): Promise<{ server: ServerOptions; variants: VariantOptions[] }> {
  if (/\.ya?ml$/i.test(file)) {
    const { scenario } = await loadScenario(file);
    return { server: scenario.server, variants: scenario.variants };
  }
  const read = readInputFile(file, MAX_SCENARIO_BYTES);
  if ('problem' in read) throw new UsageError('ERR_CONFIG_READ', `${file}: ${read.problem}`);
  const text = read.text;
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (err) {
    throw new UsageError('ERR_CONFIG', `${file}: not a scenario (.yaml) and not JSON: ${(err as Error).message}`);
  }
  if (typeof data !== 'object' || data === null || Array.isArray(data))
    throw new UsageError('ERR_CONFIG', `${file}: a JSON config must be an object of server options`);
  const base = defaultServerOptions() as unknown as Record<string, unknown>;
  const known = new Set(Object.keys(base).concat(['sendHighWaterBytes', 'maxInflightPerConnection']));
  const unknown = Object.keys(data).filter((k) => !known.has(k));
  if (unknown.length)
    throw new UsageError(
      'ERR_CONFIG',
      `${file}: unknown server option(s) ${unknown.join(', ')}; known: ${[...known].join(', ')}`,
    );
  return { server: { ...base, ...(data as object) } as unknown as ServerOptions, variants: [] };
}

function pickVariant(name: string, variants: VariantOptions[], mallocConf: string | undefined): VariantOptions {
  const found = variants.find((v) => v.name === name);
  const v: VariantOptions | null = found ? { ...found } : buildNames().includes(name) ? { name, build: name } : null;
  if (!v) {
    const names = [...new Set([...variants.map((x) => x.name), ...buildNames()])];
    throw new UsageError(
      'ERR_UNKNOWN_VARIANT',
      `--variant ${name}: not a variant of the config nor a build; choose one of ${names.join(', ')}`,
    );
  }
  if (mallocConf !== undefined) v.mallocConf = mallocConf;
  return v;
}

function statsLine(h: ServerHandle, s: Awaited<ReturnType<ServerHandle['stats']>>): string {
  return (
    `online ${s.online}  services ${s.services}  allocated ${formatBytes(s.alloc.allocated)}  resident ${formatBytes(s.alloc.resident)}` +
    `  rss ${formatBytes(s.runtime.rss)}  msgs ${s.counters.messages}  errors ${s.counters.errors}  (pid ${h.pid})\n`
  );
}

/** `simload serve`'s handler: the exit code. */
export async function serve(argv: Record<string, unknown>): Promise<number> {
  const record = Boolean(argv.record);
  if (record && (typeof argv.config !== 'string' || !/\.ya?ml$/i.test(argv.config))) {
    throw new UsageError(
      'ERR_USAGE',
      '--record needs --config SCENARIO.yaml: the scenario says the phases and targets the run is judged by',
    );
  }
  if (!record && argv.metrics !== undefined)
    throw new UsageError('ERR_USAGE', '--metrics is for --record (it serves the recorded samples)');
  if (!record && argv.out !== undefined)
    throw new UsageError('ERR_USAGE', '--out is for --record (where the run folder goes)');
  if (argv.out === '') throw new UsageError('ERR_OUT', '--out needs a folder, e.g. --out /tmp/results');
  const loaded = record ? await loadScenario(String(argv.config)) : null;
  const cfg = loaded
    ? { server: loaded.scenario.server, variants: loaded.scenario.variants }
    : typeof argv.config === 'string'
      ? await readConfig(argv.config)
      : { server: defaultServerOptions(), variants: [] };
  const options: ServerOptions = { ...cfg.server };
  if (typeof argv.host === 'string') {
    options.host = argv.host;
    // Asked for on the command line, so allowed beyond loopback (a scenario cannot do that).
    options.exposed = !['127.0.0.1', '::1', 'localhost'].includes(argv.host);
  }
  if (argv.port !== undefined) options.port = Number(argv.port);
  if (argv.threads !== undefined) options.threads = Number(argv.threads);
  if (typeof argv.agent === 'string') options.agent = argv.agent as ServerOptions['agent'];
  const variant = pickVariant(
    String(argv.variant),
    cfg.variants,
    typeof argv['malloc-conf'] === 'string' ? argv['malloc-conf'] : undefined,
  );
  let statsMs: number | null = null;
  if (typeof argv.stats === 'string') {
    statsMs = parseDuration(argv.stats);
    if (statsMs === null || statsMs < 100)
      throw new UsageError('ERR_USAGE', `--stats ${argv.stats}: give a duration of at least 100ms, e.g. 5s`);
  }

  const live = record ? await startLiveOutputs(argv, (line) => process.stderr.write(`simload serve: ${line}\n`)) : null;
  const handle = await launchServer({ options, variant, onStderr: (t) => process.stderr.write(t) }).catch(
    async (err: unknown) => {
      await live?.close();
      throw err;
    },
  );
  if (options.exposed) {
    process.stderr.write(
      `simload serve: listening on ${options.host}: the gate is reachable from other hosts; anyone who reaches port ${handle.port} can log players in (open it to your bot hosts only)\n`,
    );
  }
  const a = handle.alloc;
  process.stdout.write(
    `simload serve: ${handle.url}\n` +
      `  variant ${variant.name}: ${a.kind}${a.version ? ` ${a.version}` : ''}${a.mallocConf ? ` malloc_conf=${a.mallocConf}` : ''}\n` +
      `  ${options.threads} workers, agent ${options.agent}, pid ${handle.pid}; Ctrl-C stops it\n`,
  );

  if (loaded)
    return serveRecorded(
      handle,
      loaded,
      variant,
      typeof argv.out === 'string'
        ? { outDir: argv.out }
        : { outDir: loaded.scenario.output.dir, within: process.cwd() },
      live,
    ).finally(() => live?.close());

  let stopping = false;
  const stop = (): void => {
    if (stopping) return;
    stopping = true;
    void handle.stop();
  };
  for (const sig of SIGNALS) process.on(sig, stop);
  const timer =
    statsMs === null
      ? null
      : setInterval(() => {
          handle.stats().then(
            (s) => process.stdout.write(statsLine(handle, s)),
            () => undefined,
          );
        }, statsMs);
  const { code, signal } = await handle.exited;
  if (timer) clearInterval(timer);
  for (const sig of SIGNALS) process.off(sig, stop);
  if (stopping) {
    process.stdout.write('simload serve: stopped\n');
    return ExitCode.ok;
  }
  process.stderr.write(`simload serve: the server exited on its own (code ${code}, signal ${signal})\n`);
  return ExitCode.runtime;
}

/** How long a recorded serve waits, after the recording, for the swarm's players to leave. */
const LEAVE_WAIT_MS = 30_000;

/** --record: the recording (serve/record.ts), then the server serves until its players have left. */
async function serveRecorded(
  handle: ServerHandle,
  loaded: { scenario: Scenario; text: string },
  variant: VariantOptions,
  base: { outDir: string; within?: string },
  live: LiveOutputs | null,
): Promise<number> {
  const ctl = new AbortController();
  const onSignal = (sig: NodeJS.Signals): void => {
    if (ctl.signal.aborted) handle.kill();
    ctl.abort(sig);
  };
  for (const sig of SIGNALS) process.on(sig, onSignal);
  try {
    const r = await recordServe({
      scenario: loaded.scenario,
      text: loaded.text,
      variant,
      server: handle,
      ...base,
      signal: ctl.signal,
      out: process.stdout,
      live,
    });
    if (r.status === 'complete') {
      const left = await playersGone(handle, LEAVE_WAIT_MS, ctl.signal);
      if (left > 0)
        process.stderr.write(
          `simload serve: ${left} player(s) still online ${LEAVE_WAIT_MS / 1000} s after the recording; stopping the server\n`,
        );
    }
    process.stdout.write(`simload serve: stopped; results ${r.dir}\n`);
    return r.exitCode;
  } finally {
    for (const sig of SIGNALS) process.off(sig, onSignal);
    await handle.stop().catch(() => handle.kill());
  }
}
