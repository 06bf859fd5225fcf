// `npm run bench:nightly -- [--rounds 10]`: is the nightly comparison quiet on identical runs and loud on a
// regression? Per round: two runs of scenarios/nightly.yaml on the same code and one with a planted regression
// (rpg.lua with every player keeping about 30 KB more: 180 strings of ~115 bytes, a 160-byte jemalloc class each,
// and their table), each into its own folder; then `simload compare` on the identical pair (should exit 0) and
// on the first run against the planted one (should exit 1 naming bytes per player). Prints each run's exit and
// the load average at its start, and the rates over valid rounds: a run that did not deliver its load (exit 4)
// is no measurement and is counted apart. About 4 minutes per round on 2 cores.

import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { packageRoot } from '../src/native/paths.js';

const i = process.argv.indexOf('--rounds');
const rounds = i >= 0 ? Number(process.argv[i + 1]) : 10;
const BIN = join(packageRoot, 'bin', 'simload.js');
const PLANT = `
local base_login = login
function login(player_id)
  base_login(player_id)
  local keep = {}
  for i = 1, 180 do keep[i] = string.format("%s:%04d:", tostring(player_id), i) .. string.rep("k", 100) end
  players[player_id].kept = keep
end
`;

const dir = mkdtempSync(join(tmpdir(), 'simload-nightly-'));
const nightly = join(packageRoot, 'scenarios', 'nightly.yaml');
writeFileSync(
  join(dir, 'keeps-30k.lua'),
  readFileSync(join(packageRoot, 'scenarios', 'agents', 'rpg.lua'), 'utf8') + PLANT,
);
const planted = readFileSync(nightly, 'utf8').replace(/script: agents\/rpg\.lua/, 'script: keeps-30k.lua');
if (!planted.includes('keeps-30k.lua')) throw new Error(`${nightly} no longer names agents/rpg.lua: update this bench`);
writeFileSync(join(dir, 'planted.yaml'), planted);

function run(file: string, out: string): number | null {
  const load = loadavg()[0]!.toFixed(1);
  const r = spawnSync(process.execPath, [BIN, 'run', file, '--out', out, '--quiet'], { stdio: 'ignore' });
  console.log(`  ${out}: exit ${r.status} (load average ${load} at the start)`);
  return r.status;
}
function compare(a: string, b: string): { code: number | null; regressions: string[] } {
  const r = spawnSync(process.execPath, [BIN, 'compare', a, b, '--json'], { encoding: 'utf8' });
  let regressions: string[] = [];
  try {
    regressions = (JSON.parse(r.stdout) as { regressions: string[] }).regressions;
  } catch {
    regressions = [r.stderr.trim()];
  }
  return { code: r.status, regressions };
}

let pairs = 0;
let quiet = 0;
let planteds = 0;
let caught = 0;
for (let round = 1; round <= rounds; round++) {
  console.log(`round ${round} of ${rounds} (results in ${dir})`);
  const [a, b, p] = ['a', 'b', 'planted'].map((k) => join(dir, `${k}-${round}`));
  const codes = [run(nightly, a!), run(nightly, b!), run(join(dir, 'planted.yaml'), p!)];
  const same = compare(a!, b!);
  const plant = compare(a!, p!);
  const named = plant.regressions.some((r) => /bytes\/player/.test(r));
  console.log(
    `  identical pair: compare exit ${same.code}${same.regressions.length ? `: ${same.regressions.join('; ')}` : ''}`,
  );
  console.log(`  planted: compare exit ${plant.code}, bytes per player ${named ? 'named' : 'NOT named'}`);
  if (codes[0] === 0 && codes[1] === 0) {
    pairs++;
    if (same.code === 0) quiet++;
  }
  if (codes[0] === 0 && codes[2] === 0) {
    planteds++;
    if (plant.code === 1 && named) caught++;
  }
}
console.log(
  `identical pairs, both runs valid: ${pairs} of ${rounds}; compare exit 0 on ${quiet} (false positives ${pairs - quiet})`,
);
console.log(
  `planted regression, both runs valid: ${planteds} of ${rounds}; exit 1 naming bytes per player on ${caught}`,
);
