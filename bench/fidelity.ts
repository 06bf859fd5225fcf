// `npm run fidelity -- SCENARIO`: runs the same scenario on simload (`simload run`) and on a real skynet
// (src/fidelity/skynet-run.ts), madv-free and no-madv-free, and prints them side by side with the ratios
// simload/skynet and issue 9's targets (docs/fidelity.md).
// Flags: --script PATH (the agent script for skynet; default the scenario's server.script, else the test
// script test/fidelity/fixtures/bag.lua), --variants a,b, --out DIR (default results),
// --simload DIR / --skynet DIR (compare run folders already recorded instead of running that side),
// --transport driver|gate (how the skynet side gets its load: its Lua driver sends to the agents, or clients
// connect through a gate as a game server's players do; default gate).
import { join } from 'node:path';
import { ExitCode, SimloadError } from '../src/errors.js';
import { compareFidelity } from '../src/fidelity/compare.js';
import { formatFidelity } from '../src/fidelity/format.js';
import { agentScript } from '../src/fidelity/script.js';
import { runSkynet, SKYNET_TRANSPORTS, type SkynetTransport } from '../src/fidelity/skynet-run.js';
import { packageRoot } from '../src/native/paths.js';
import { loadRun } from '../src/report/load.js';
import { withInterrupt } from '../src/run/interrupt.js';
import { runScenario } from '../src/run/run.js';
import { loadScenario } from '../src/scenario/load.js';

function flag(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

async function main(): Promise<number> {
  const file = process.argv.slice(2).find((a, i, all) => !a.startsWith('--') && (i === 0 || !all[i - 1]!.startsWith('--')));
  if (!file) {
    process.stderr.write('usage: npm run fidelity -- SCENARIO [--script PATH] [--variants a,b] [--out DIR] [--simload DIR] [--skynet DIR] [--transport driver|gate]\n');
    return ExitCode.usage;
  }
  const transport = (flag('transport') ?? 'gate') as SkynetTransport; // runSkynet's default too
  if (!SKYNET_TRANSPORTS.includes(transport)) {
    process.stderr.write(`fidelity: --transport ${transport}: one of ${SKYNET_TRANSPORTS.join(', ')}\n`);
    return ExitCode.usage;
  }
  const { scenario, text } = await loadScenario(file);
  const variants = flag('variants')?.split(',').map((v) => v.trim()).filter(Boolean);
  const outDir = flag('out') ?? 'results';
  const hasScript = flag('script') !== undefined || (scenario.server as { script?: unknown }).script !== undefined;
  const script = agentScript(scenario, flag('script') ?? (hasScript ? undefined : join(packageRoot, 'test', 'fidelity', 'fixtures', 'bag.lua')));
  process.stderr.write(`fidelity: ${scenario.name}; skynet agents run ${script}; skynet's load comes through the ${transport}\n`);

  return withInterrupt(async (signal) => {
    let simDir = flag('simload');
    if (!simDir) {
      const r = await runScenario(scenario, text, { ...(variants ? { variants } : {}), outDir, signal });
      simDir = r.dir;
    }
    let skyDir = flag('skynet');
    if (!skyDir && !signal.aborted) {
      const r = await runSkynet(scenario, text, { script, outDir, signal, transport, ...(variants ? { variants } : {}), log: (s) => process.stderr.write(s + '\n') });
      for (const s of r.skipped) process.stderr.write(`skipped ${s}\n`);
      skyDir = r.dir;
    }
    if (signal.aborted || !skyDir) return ExitCode.interrupted;
    const tables = compareFidelity(await loadRun(simDir), await loadRun(skyDir));
    process.stdout.write(formatFidelity(tables, `fidelity ${scenario.name}: simload ${simDir} vs skynet ${skyDir}`));
    return tables.some((t) => t.invalid.length > 0) ? ExitCode.invalid : ExitCode.ok;
  });
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`fidelity: ${(err as Error).message}\n`);
    process.exit(err instanceof SimloadError ? err.exitCode : ExitCode.runtime);
  },
);
