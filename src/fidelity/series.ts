// `simload fidelity`'s series: N pairs one after the other, each a simload run and a real skynet run of one
// scenario (or run folders already recorded for a side), each pair's tables printed as it ends, then every target
// row across the pairs (spread.ts). The record file (record.ts) is rewritten after each pair, so an interrupted
// series keeps the pairs it finished.
import type { ExitCode } from '../errors.js';
import { loadRun } from '../analysis/load.js';
import { runScenario } from '../run/run.js';
import type { FidelityTable } from '../analysis/fidelity.js';
import { formatFidelity } from '../report/fidelity-table.js';
import type { Scenario } from '../scenario/types.js';
import { compareFidelity } from './compare.js';
import { formatSpread } from './format.js';
import type { FidelityOptions } from './options.js';
import { fidelityRecordPath, writeFidelityRecord, type FidelityRecord } from './record.js';
import { runSkynet } from './skynet-run.js';
import { fidelitySpread, spreadHolds } from './spread.js';
import { verdictOf } from '../verdict.js';

export interface SeriesOptions extends FidelityOptions {
  /** The agent script skynet's agents run (script.ts); undefined when every pair's skynet folder is given. */
  agentScript?: string;
  signal: AbortSignal;
  /** The tables. */
  out: (text: string) => void;
  /** Progress and notes, a line at a time. */
  log: (line: string) => void;
}

/** 0 every target met, 1 a target missed, 4 a side did not deliver its load, 130 interrupted. */
export async function runFidelitySeries(scenario: Scenario, text: string, o: SeriesOptions): Promise<ExitCode> {
  const { variants, outDir, simDirs, skyDirs, transport, repeat, signal, agentScript: script } = o;
  const skynetSide = script
    ? `skynet agents run ${script}; skynet's load comes through the ${transport}`
    : 'skynet side from the folders given';
  o.log(`fidelity: ${scenario.name}; ${skynetSide}`);
  const recordFile = fidelityRecordPath(outDir, scenario.name, new Date());
  const record: FidelityRecord = { scenario: scenario.name, transport, pairs: [] };
  const pairs: FidelityTable[][] = [];
  for (let i = 0; i < repeat && !signal.aborted; i++) {
    if (repeat > 1) o.log(`fidelity: pair ${i + 1} of ${repeat}`);
    let simDir = simDirs?.[i];
    if (!simDir) {
      const r = await runScenario(scenario, text, { ...(variants ? { variants } : {}), outDir, signal });
      simDir = r.dir;
    }
    let skyDir = skyDirs?.[i];
    if (!skyDir && script && !signal.aborted) {
      const r = await runSkynet(scenario, text, {
        script,
        outDir,
        signal,
        transport,
        ...(variants ? { variants } : {}),
        log: o.log,
      });
      for (const s of r.skipped) o.log(`skipped ${s}`);
      skyDir = r.dir;
    }
    if (signal.aborted || !skyDir) break;
    const tables = compareFidelity(await loadRun(simDir), await loadRun(skyDir));
    const pair = repeat > 1 ? `pair ${i + 1} of ${repeat}: ` : '';
    o.out(
      `${i > 0 ? '\n' : ''}${formatFidelity(tables, `${pair}fidelity ${scenario.name}: simload ${simDir} vs skynet ${skyDir}`)}`,
    );
    pairs.push(tables);
    record.pairs.push({ simload: simDir, skynet: skyDir, tables });
    await writeFidelityRecord(recordFile, record);
  }
  if (pairs.length < repeat) return verdictOf('interrupted').exitCode;
  const spread = fidelitySpread(pairs);
  if (repeat > 1) {
    o.out('\n' + formatSpread(spread));
    await writeFidelityRecord(recordFile, { ...record, spread });
  }
  o.log(`fidelity: tables written to ${recordFile}`);
  return verdictOf(spread.invalid.length > 0 ? 'invalid' : spreadHolds(spread) ? 'ok' : 'expect-failed').exitCode;
}
