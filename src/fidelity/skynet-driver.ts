// One variant of a scenario on a built real skynet: skynet runs simload_driver.lua with the variant's malloc_conf
// in JE_MALLOC_CONF and `thread` = server.threads, appending samples and events to a run folder in simload's
// format (so `simload report` renders it unchanged); with the gate transport, client processes log players in
// through skynet's gate. Used by `simload fidelity`'s skynet side (skynet-run.ts) and by a `skynet:` variant of
// `simload run` (skynet-variant.ts).
import { spawn } from 'node:child_process';
import { mkdtempSync, openSync, closeSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SimloadError, UsageError } from '../errors.js';
import { nativeDir } from '../native/paths.js';
import type { SkynetBuild } from '../native/skynet-build.js';
import { writeSkynetConfig } from '../native/skynet-config.js';
import { parseNdjson } from '../analysis/load.js';
import { RESULT_FILES } from '../results/layout.js';
import type { Sample } from '../results/sample.js';
import type { RunWriter } from '../results/writer.js';
import { adopt } from '../run/children.js';
import { totalDurationMs } from '../run/preflight.js';
import type { Scenario } from '../scenario/types.js';
import type { VariantOptions } from '../alloc/options.js';
import { addCpuToSamples, pollCpu, type CpuPoint } from './cpu-poll.js';
import { planLua, skynetPlan, type SkynetTransport } from './plan.js';

/** The driver's Lua services (simload_driver.lua, simload_agent.lua). */
export const DRIVER_DIR = join(nativeDir, 'skynet');
/** Time a skynet run may take beyond the scenario's own length (service start-up, the last sample). */
const GRACE_MS = 60_000;
/** The gate transport's clients (a child process entry, run by path). */
const GATE_CLIENT = join(dirname(fileURLToPath(import.meta.url)), 'gate-client.js');
/** Share of the messages the clients sent that the gate must have forwarded for the run to count. */
const FORWARDED_SHARE = 0.98;

/** The samples of one variant in a run folder, as written so far. */
export function variantSamples(dir: string, variant: string): Sample[] {
  return parseNdjson<Sample>(readFileSync(join(dir, RESULT_FILES.samples), 'utf8'), RESULT_FILES.samples).filter(
    (x) => x.variant === variant,
  );
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
    const forwarded = variantSamples(writer.dir, v.name).at(-1)?.server?.messages ?? 0;
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
