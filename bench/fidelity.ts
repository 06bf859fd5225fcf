// `npm run fidelity -- SCENARIO`: runs the same scenario on simload (`simload run`) and on a real skynet
// (src/fidelity/skynet-run.ts), madv-free and no-madv-free, and prints them side by side with the ratios
// simload/skynet and issue 9's targets (docs/fidelity.md).
// Flags: --script PATH (the agent script for skynet; default the scenario's server.script, else the test
// script test/fidelity/fixtures/bag.lua), --variants a,b, --out DIR (default results),
// --simload DIR[,DIR...] / --skynet DIR[,DIR...] (compare run folders already recorded instead of running that
// side), --transport driver|gate (how the skynet side gets its load: its Lua driver sends to the agents, or
// clients connect through a gate as a game server's players do; default gate), --repeat N (N pairs, one after the
// other, then each target row across the pairs: src/fidelity/spread.ts).
// Besides the printed tables it writes OUT/<scenario>-fidelity-<timestamp>.json (src/fidelity/record.ts).
// Exit: 0 every target met, 1 a target missed, 4 a side did not deliver its load (that pair measures nothing).
import { join } from 'node:path';
import { ExitCode, SimloadError } from '../src/errors.js';
import { compareFidelity, type FidelityTable } from '../src/fidelity/compare.js';
import { formatFidelity, formatSpread } from '../src/fidelity/format.js';
import { agentScript } from '../src/fidelity/script.js';
import { parseFidelityArgs } from '../src/fidelity/options.js';
import { runSkynet } from '../src/fidelity/skynet-run.js';
import { fidelityRecordPath, writeFidelityRecord, type FidelityRecord } from '../src/fidelity/record.js';
import { fidelitySpread, spreadHolds } from '../src/fidelity/spread.js';
import { packageRoot } from '../src/native/paths.js';
import { loadRun } from '../src/report/load.js';
import { withInterrupt } from '../src/run/interrupt.js';
import { runScenario } from '../src/run/run.js';
import { loadScenario } from '../src/scenario/load.js';

async function main(): Promise<number> {
  const o = parseFidelityArgs(process.argv.slice(2));
  const { scenario, text } = await loadScenario(o.scenario);
  const { variants, outDir, simDirs, skyDirs, transport, repeat } = o;
  const hasScript = o.script !== undefined || (scenario.server as { script?: unknown }).script !== undefined;
  const script = agentScript(scenario, o.script ?? (hasScript ? undefined : join(packageRoot, 'test', 'fidelity', 'fixtures', 'bag.lua')));
  process.stderr.write(`fidelity: ${scenario.name}; skynet agents run ${script}; skynet's load comes through the ${transport}\n`);

  const recordFile = fidelityRecordPath(outDir, scenario.name, new Date());
  const record: FidelityRecord = { scenario: scenario.name, transport, pairs: [] };
  return withInterrupt(async (signal) => {
    const pairs: FidelityTable[][] = [];
    for (let i = 0; i < repeat && !signal.aborted; i++) {
      if (repeat > 1) process.stderr.write(`fidelity: pair ${i + 1} of ${repeat}\n`);
      let simDir = simDirs?.[i];
      if (!simDir) {
        const r = await runScenario(scenario, text, { ...(variants ? { variants } : {}), outDir, signal });
        simDir = r.dir;
      }
      let skyDir = skyDirs?.[i];
      if (!skyDir && !signal.aborted) {
        const r = await runSkynet(scenario, text, { script, outDir, signal, transport, ...(variants ? { variants } : {}), log: (s) => process.stderr.write(s + '\n') });
        for (const s of r.skipped) process.stderr.write(`skipped ${s}\n`);
        skyDir = r.dir;
      }
      if (signal.aborted || !skyDir) break;
      const tables = compareFidelity(await loadRun(simDir), await loadRun(skyDir));
      const pair = repeat > 1 ? `pair ${i + 1} of ${repeat}: ` : '';
      // Printed as each pair ends, so an interrupted series keeps the pairs it finished.
      process.stdout.write(`${i > 0 ? '\n' : ''}${formatFidelity(tables, `${pair}fidelity ${scenario.name}: simload ${simDir} vs skynet ${skyDir}`)}`);
      pairs.push(tables);
      record.pairs.push({ simload: simDir, skynet: skyDir, tables });
      writeFidelityRecord(recordFile, record);
    }
    if (pairs.length < repeat) return ExitCode.interrupted;
    const spread = fidelitySpread(pairs);
    if (repeat > 1) {
      process.stdout.write('\n' + formatSpread(spread));
      writeFidelityRecord(recordFile, { ...record, spread });
    }
    process.stderr.write(`fidelity: tables written to ${recordFile}\n`);
    if (spread.invalid.length > 0) return ExitCode.invalid;
    return spreadHolds(spread) ? ExitCode.ok : ExitCode.checkFailed;
  });
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    const message = (err as Error).message;
    process.stderr.write(`${message.startsWith('fidelity: ') || message.startsWith('usage: ') ? '' : 'fidelity: '}${message}\n`);
    process.exit(err instanceof SimloadError ? err.exitCode : ExitCode.runtime);
  },
);
