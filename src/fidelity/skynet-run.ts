// Runs a simload scenario on a real skynet (the peer simload simulates): a skynet build runs simload_driver.lua with
// the variant's malloc_conf in JE_MALLOC_CONF and `thread` = server.threads, appending samples and events to a run
// folder in simload's format, so `simload report` renders it unchanged. runSkynet: each variant whose build is a
// skynet recipe (madv-free, no-madv-free) into a folder of its own (`simload fidelity`); runSkynetVariant: one
// variant into a given folder (a `skynet:` variant of `simload run`, skynet-variant.ts).
import { spawn } from 'node:child_process';
import { mkdtempSync, openSync, closeSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, release, tmpdir, totalmem } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ExitCode, SimloadError, UsageError } from '../errors.js';
import { nativeDir } from '../native/paths.js';
import { PEER_RECIPES, requirePeerSources, type PeerSources } from '../native/peers.js';
import { buildSkynet, type SkynetBuild } from '../native/skynet-build.js';
import { writeSkynetConfig } from '../native/skynet-config.js';
import type { Summary } from '../analysis/index.js';
import { renderReport } from '../report/index.js';
import { RESULT_FILES } from '../results/layout.js';
import { RunWriter } from '../results/writer.js';
import { adopt } from '../run/children.js';
import { totalDurationMs } from '../run/preflight.js';
import type { Scenario } from '../scenario/types.js';
import type { VariantOptions } from '../alloc/options.js';
import { parseNdjson } from '../analysis/load.js';
import type { Sample } from '../results/sample.js';
import { addCpuToSamples, pollCpu, type CpuPoint } from './cpu-poll.js';
import { undelivered } from './delivered.js';
import { planLua, SKYNET_TRANSPORTS, skynetPlan, type SkynetTransport } from './plan.js';

/** The driver's Lua services (simload_driver.lua, simload_agent.lua). */
export const DRIVER_DIR = join(nativeDir, 'skynet');
/** Time a skynet run may take beyond the scenario's own length (service start-up, the last sample). */
const GRACE_MS = 60_000;
/** The gate transport's clients (a child process entry, run by path). */
const GATE_CLIENT = join(dirname(fileURLToPath(import.meta.url)), 'gate-client.js');
/** Share of the messages the clients sent that the gate must have forwarded for the run to count. */
const FORWARDED_SHARE = 0.98;

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

  const writer = await RunWriter.create(
    o.outDir ?? s.output.dir,
    `${s.name}-skynet`,
    {
      scenario: s.name,
      variants: variants.map((v) => v.name),
      parallel: false,
      host: { cpus: cpus().length, memBytes: totalmem(), kernel: release(), node: process.version },
    },
    o.outDir === undefined ? { within: process.cwd() } : {},
  );
  await writer.writeScenario(text, s);
  try {
    for (const v of variants) {
      if (o.signal?.aborted) break;
      const build = await buildSkynet({
        skynetSrc: sources.skynet,
        jemallocSrc: sources.jemalloc,
        recipe: v.build!,
        log,
      });
      const r = await runSkynetVariant(v, {
        scenario: s,
        writer,
        build,
        script,
        transport,
        log,
        ...(o.signal ? { signal: o.signal } : {}),
      });
      if (o.signal?.aborted) break;
      const samples = parseNdjson<Sample>(
        readFileSync(join(writer.dir, RESULT_FILES.samples), 'utf8'),
        RESULT_FILES.samples,
      ).filter((x) => x.variant === v.name);
      const missed = undelivered(s, samples) ?? r.gateShortfall;
      if (missed)
        throw new SimloadError('ERR_LOAD_NOT_DELIVERED', `skynet ${v.name} did not deliver the load: ${missed}`);
    }
  } catch (err) {
    const e =
      err instanceof SimloadError
        ? err
        : new SimloadError('ERR_SKYNET_RUN', (err as Error).message, undefined, { cause: err });
    await writer.finish('failed', { code: e.code, message: e.message });
    e.message += `\nresults so far: ${writer.dir}`;
    throw e;
  }
  if (o.signal?.aborted) {
    await writer.finish('interrupted');
    throw new SimloadError('ERR_INTERRUPTED', `interrupted; results so far: ${writer.dir}`, ExitCode.interrupted);
  }
  await writer.finish('complete');
  const { summary } = await renderReport(writer.dir);
  return { dir: writer.dir, summary, skipped };
}

export interface SkynetVariantRun {
  scenario: Scenario;
  /** The run folder the driver appends the variant's samples and events to. */
  writer: RunWriter;
  build: SkynetBuild;
  /** The agent script, absolute. */
  script: string;
  transport: SkynetTransport;
  signal?: AbortSignal;
  log: (s: string) => void;
}

/**
 * Runs one variant on a built skynet, its samples and events appended to the run folder (tagged with the
 * variant's name). Throws when skynet failed (a bad script: ERR_AGENT_SCRIPT, exit 2). `gateShortfall`: what the
 * gate lost (connections, messages its clients sent and it did not forward), or null; whether the online count and
 * the messages met the plan is the caller's to judge from the samples.
 */
export async function runSkynetVariant(
  v: VariantOptions,
  o: SkynetVariantRun,
): Promise<{ gateShortfall: string | null }> {
  const { scenario: s, writer, build, transport } = o;
  o.log(
    `skynet ${v.name}: ${s.server.threads} threads, load through the ${transport}, JE_MALLOC_CONF=${v.mallocConf ?? ''}, ~${Math.round(totalDurationMs(s) / 1000)}s`,
  );
  const tmp = mkdtempSync(join(tmpdir(), 'simload-fidelity-'));
  try {
    const plan = join(tmp, 'plan.lua');
    const p = skynetPlan(s, {
      variant: v.name,
      samples: join(writer.dir, RESULT_FILES.samples),
      events: join(writer.dir, RESULT_FILES.events),
      script: o.script,
      transport,
    });
    writeFileSync(plan, planLua(p));
    const planJson = join(tmp, 'plan.json');
    writeFileSync(planJson, JSON.stringify(p));
    const config = writeSkynetConfig(join(tmp, 'config'), {
      root: build.root,
      start: 'simload_driver',
      serviceDirs: [DRIVER_DIR],
      thread: s.server.threads,
      env: { simload_plan: plan },
    });
    writer.appendEvent({ type: 'variant-start', variant: v.name, wall: Date.now(), pid: 0 });
    writer.flush(); // the driver appends to the same files next
    const logFile = join(writer.dir, `skynet-${v.name}.log`);
    const started = Date.now();
    const clients =
      transport === 'gate' ? { plan: planJson, log: join(writer.dir, `gate-client-${v.name}.log`) } : null;
    const cpu: CpuPoint[] = [];
    const env = { ...process.env, ...(v.env ?? {}), JE_MALLOC_CONF: v.mallocConf ?? '' };
    const r = await runDriver(
      build.binary,
      config,
      build.root,
      env,
      logFile,
      totalDurationMs(s) + GRACE_MS,
      clients,
      cpu,
      o.signal,
    );
    writer.appendEvent({ type: 'variant-end', variant: v.name, wall: Date.now(), t: Date.now() - started });
    writer.flush();
    addCpuToSamples(join(writer.dir, RESULT_FILES.samples), v.name, cpu);
    if (r.lost || r.sent === null) return { gateShortfall: r.lost };
    const samples = parseNdjson<Sample>(
      readFileSync(join(writer.dir, RESULT_FILES.samples), 'utf8'),
      RESULT_FILES.samples,
    ).filter((x) => x.variant === v.name);
    const forwarded = samples.at(-1)?.server?.messages ?? 0;
    return {
      gateShortfall:
        forwarded < FORWARDED_SHARE * r.sent
          ? `the gate forwarded ${forwarded} of the ${r.sent} messages its clients sent (at least ${FORWARDED_SHARE * 100}% needed)`
          : null,
    };
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

/** The gate transport's client process: its plan (JSON) and its log file. */
interface GateClients {
  plan: string;
  log: string;
}

/**
 * Runs skynet until the driver stops it; its output goes to `logFile`. Throws the driver's SIMLOAD-ERROR. With
 * `clients`, starts the gate clients when the driver prints `SIMLOAD-GATE PORT START_MS` and stops them when skynet has
 * stopped; returns how many messages they sent (null without clients or when interrupted) and the connections they
 * lost, if any. skynet's CPU time while it ran is pushed to `cpu`.
 */
async function runDriver(
  binary: string,
  config: string,
  cwd: string,
  env: NodeJS.ProcessEnv,
  logFile: string,
  timeoutMs: number,
  clients: GateClients | null,
  cpu: CpuPoint[],
  signal?: AbortSignal,
): Promise<{ sent: number | null; lost: string | null }> {
  const fd = openSync(logFile, 'w');
  const child = spawn(binary, [config], { cwd, env, stdio: ['ignore', fd, fd] });
  closeSync(fd);
  const release = adopt({ pid: child.pid ?? 0, kill: () => child.kill('SIGKILL') });
  const poll = child.pid ? pollCpu(child.pid) : null;
  const gate = clients ? startClientsWhenReady(logFile, clients, child) : null;
  let why: string | null = null;
  const stop = (reason: string) => {
    why = reason;
    child.kill('SIGTERM');
    setTimeout(() => child.kill('SIGKILL'), 5000).unref();
  };
  const timer = setTimeout(() => stop(`skynet did not finish within ${Math.round(timeoutMs / 1000)}s`), timeoutMs);
  const onAbort = () => stop('interrupted');
  signal?.addEventListener('abort', onAbort, { once: true });
  const exit = await new Promise<{ code: number | null; sig: NodeJS.Signals | null }>((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code, sig) => resolve({ code, sig }));
  }).finally(() => {
    clearTimeout(timer);
    signal?.removeEventListener('abort', onAbort);
    release();
    if (poll) cpu.push(...poll.stop());
  });
  const clientStatus = gate ? await gate.stop() : null;
  if (why === 'interrupted') return { sent: null, lost: null };
  const out = readFileSync(logFile, 'utf8');
  const err = /^SIMLOAD-ERROR (\S+) (.*)$/m.exec(out);
  if (err) {
    if (err[1] === 'ERR_AGENT_SCRIPT') throw new UsageError(err[1], err[2]!);
    throw new SimloadError(err[1]!, err[2]!);
  }
  if (!/^SIMLOAD-DONE /m.test(out)) {
    throw new SimloadError(
      'ERR_SKYNET_RUN',
      `${why ?? `skynet stopped (exit ${exit.code}, signal ${exit.sig})`} before the driver finished; see ${logFile}`,
    );
  }
  if (!clients) return { sent: null, lost: null };
  if (!clientStatus)
    throw new SimloadError('ERR_SKYNET_RUN', `the gate clients never reported; see ${clients.log} and ${logFile}`);
  const n = (k: string): number => Number(new RegExp(`\\b${k}=(\\d+)`).exec(clientStatus)?.[1] ?? NaN);
  // A status line that lacks a count must not read as "nothing lost" (NaN compares false).
  if (!['sent', 'failures', 'dropped'].every((k) => Number.isFinite(n(k)))) {
    throw new SimloadError(
      'ERR_SKYNET_RUN',
      `the gate clients' last status has no counts: ${clientStatus}; see ${clients.log}`,
    );
  }
  const lost =
    n('failures') > 0 || n('dropped') > 0
      ? `the gate clients lost connections (${n('failures')} logins failed, ${n('dropped')} dropped online); see ${clients.log}`
      : null;
  return { sent: n('sent'), lost };
}

/**
 * Polls skynet's log for the driver's `SIMLOAD-GATE PORT START_MS`, then runs the client process with its output in
 * `clients.log`. `stop()` ends it (SIGTERM: it prints a last status) and gives its last status line.
 */
function startClientsWhenReady(
  skynetLog: string,
  clients: GateClients,
  skynet: ReturnType<typeof spawn>,
): { stop: () => Promise<string | null> } {
  let client: ReturnType<typeof spawn> | null = null;
  let release = (): void => undefined;
  let exited: Promise<void> = Promise.resolve();
  const poll = setInterval(() => {
    if (skynet.exitCode !== null || skynet.signalCode !== null) return clearInterval(poll);
    const ready = /^SIMLOAD-GATE (\d+) (\d+)$/m.exec(readFileSync(skynetLog, 'utf8'));
    if (!ready) return;
    clearInterval(poll);
    const fd = openSync(clients.log, 'w');
    client = spawn(process.execPath, [GATE_CLIENT, clients.plan, ready[1]!, ready[2]!], { stdio: ['ignore', fd, fd] });
    closeSync(fd);
    const c = client;
    release = adopt({ pid: c.pid ?? 0, kill: () => c.kill('SIGKILL') });
    exited = new Promise((resolve) => c.once('exit', () => resolve()));
  }, 20);
  return {
    stop: async () => {
      clearInterval(poll);
      if (!client) return null;
      if (client.exitCode === null && client.signalCode === null) client.kill('SIGTERM');
      const force = setTimeout(() => client?.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(force);
      release();
      const lines = readFileSync(clients.log, 'utf8')
        .split('\n')
        .filter((l) => l.startsWith('GATE-CLIENT '));
      return lines.at(-1) ?? null;
    },
  };
}
