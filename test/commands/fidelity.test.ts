// `simload fidelity` from the command line: --help teaches with examples, bad flags and inputs exit 2 with their
// exact message before anything runs, and one small real pair (20 players; simload, then a real skynet) gives a
// table that the same two folders give again, ratio 1 rows when a folder is compared with itself, and the rows
// across pairs with --repeat.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FidelityRecord } from '../../src/fidelity/record.js';
import { simloadCli, simloadEach } from '../helpers/cli.js';
import { needsVendor } from '../native/vendor.js';

const FIXTURES = fileURLToPath(new URL('../../../test/fidelity/fixtures/', import.meta.url));
const TINY = join(FIXTURES, 'tiny.yaml');

async function simload(...args: string[]): Promise<{ code: number | null; out: string; err: string }> {
  const r = await simloadCli(args, { timeoutMs: 120_000 });
  return { code: r.code, out: r.stdout, err: r.stderr };
}

/** The exit code a series' record implies: 4 an INVALID table, 1 a target missed or none judged, else 0. */
function expectedExit(record: FidelityRecord): number {
  const tables = record.pairs.flatMap((p) => p.tables);
  if (tables.some((t) => t.invalid.length > 0)) return 4;
  const judged = tables.flatMap((t) => t.rows).filter((r) => r.pass === true || r.pass === false);
  return judged.length > 0 && judged.every((r) => r.pass) ? 0 : 1;
}

function readRecord(dir: string): FidelityRecord {
  const files = readdirSync(dir).filter((f) => /-fidelity-.*\.json$/.test(f));
  assert.equal(files.length, 1, `one record file in ${dir}: ${files.join(', ')}`);
  return JSON.parse(readFileSync(join(dir, files[0]!), 'utf8')) as FidelityRecord;
}

/** The main table's rows of one variant, as printed: [metric, simload, skynet, ratio, target]. */
function printedRows(out: string, variant: string): string[][] {
  const lines = out.split('\n');
  const head = lines.findIndex((l) =>
    new RegExp(`^${variant}\\s+simload\\s+skynet\\s+simload/skynet\\s+target$`).test(l),
  );
  assert.ok(head >= 0, `no ${variant} table in:\n${out}`);
  const end = lines.indexOf('', head);
  return lines
    .slice(head + 2, end)
    .filter((l) => !l.startsWith('note: '))
    .map((l) => l.split(/\s{2,}/));
}

// The file's tests side by side: the real pair is 20 players whose exit is checked against its own record, and
// the other calls are refused before anything runs.
describe('simload fidelity', { concurrency: true }, () => {
  test('fidelity --help: exit 0, every flag and examples', async () => {
    const r = await simload('fidelity', '--help');
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /Examples:\n\s+simload fidelity /);
    for (const flag of ['script', 'variants', 'out', 'simload', 'skynet', 'transport', 'repeat'])
      assert.match(r.out, new RegExp(`\\n\\s+--${flag}\\s`), `--${flag}`);
    assert.match(r.out, /Exit: 0 every target met, 1 a target missed, 2 /);
  });

  test('fidelity: bad flags and inputs exit 2 with the exact message, and nothing is written', async () => {
    const out = mkdtempSync(join(tmpdir(), 'simload-fidelity-cli-'));
    const missing = join(out, 'missing.yaml');
    // A scenario with no server.script: simload's side runs the synthetic model, so skynet has no script to run.
    const cases: Array<[string[], string]> = [
      [[TINY, '--repaet', '2'], 'Unknown argument: repaet'],
      [[TINY, '--repeat', '0'], '--repeat 0: a whole number of pairs, at least 1'],
      [[TINY, '--repeat', '2', '--simload', 'a'], '--simload names 1 folder(s) for 2 pair(s): one per pair'],
      [[TINY, '--transport', 'udp'], '--transport udp: one of driver, gate'],
      [[TINY, '--out'], '--out needs a value'],
      [[missing], `${missing}: no such file`],
      [
        [TINY],
        `${TINY}: no agent script for skynet: the scenario has no server.script (simload's side runs the synthetic state model, ` +
          'which a skynet cannot run); set server.script (both sides run it, e.g. scenarios/agents/rpg.lua) or give --script PATH (skynet only)',
      ],
      [[TINY, '--script', join(out, 'none.lua')], `--script: ${join(out, 'none.lua')}: no such file`],
    ];
    const runs = await simloadEach(
      cases.map(([args]) => ['fidelity', ...args, ...(args.includes('--out') ? [] : ['--out', out])]),
    );
    for (const [i, [args, message]] of cases.entries()) {
      const r = runs[i]!;
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
      assert.equal(r.stderr, `simload: ${message}\n`, args.join(' '));
      assert.equal(r.stdout, '');
    }
    assert.deepEqual(readdirSync(out), [], 'no run folder or record file');
    rmSync(out, { recursive: true, force: true });
  });

  test(
    "fidelity: a phase skynet's side cannot run is refused before simload's side runs",
    { skip: needsVendor('skynet') },
    async () => {
      const out = mkdtempSync(join(tmpdir(), 'simload-fidelity-cli-'));
      const file = join(out, 'pressure.yaml');
      writeFileSync(
        file,
        readFileSync(TINY, 'utf8').replace(
          '    - hold: 1s\n',
          '    - hold: 1s\n    - pressure: { limit: 64MiB, for: 1s }\n',
        ),
      );
      const r = await simload('fidelity', file, '--script', join(FIXTURES, 'bag.lua'), '--out', out);
      assert.equal(r.code, 2, r.err);
      assert.equal(
        r.err,
        `simload: ${file}: load.phases[4]: a pressure phase cannot run in the skynet driver (only ramp and hold)\n`,
      );
      assert.deepEqual(readdirSync(out), ['pressure.yaml'], 'no run folder: the simload side never started');
      rmSync(out, { recursive: true, force: true });
    },
  );

  test(
    'fidelity: a real pair, the same table again from its folders, ratio 1 against itself, --repeat across pairs',
    { skip: needsVendor('skynet'), timeout: 180_000 },
    async () => {
      const base = mkdtempSync(join(tmpdir(), 'simload-fidelity-cli-'));
      const pair = await simload(
        'fidelity',
        TINY,
        '--script',
        join(FIXTURES, 'bag.lua'),
        '--transport',
        'driver',
        '--out',
        base,
      );
      const record = readRecord(base);
      assert.equal(pair.code, expectedExit(record), pair.out + pair.err);
      assert.equal(record.pairs.length, 1);
      const { simload: sim, skynet: sky } = record.pairs[0]!;
      assert.deepEqual(
        record.pairs[0]!.tables.map((t) => t.variant),
        ['madv-free'],
      );
      assert.match(
        pair.err,
        /^fidelity: fidelity-tiny; skynet agents run .*bag\.lua; skynet's load comes through the driver\n/,
      );

      // What follows reads the pair's two folders only: the four calls run side by side.
      const again = mkdtempSync(join(tmpdir(), 'simload-fidelity-cli-'));
      const selves = [sim, sky].map((dir) => ({ dir, out: mkdtempSync(join(tmpdir(), 'simload-fidelity-cli-')) }));
      const three = mkdtempSync(join(tmpdir(), 'simload-fidelity-cli-'));
      const [folders, ...rest] = (
        await simloadEach([
          ['fidelity', TINY, '--simload', sim, '--skynet', sky, '--out', again],
          ...selves.map(({ dir, out }) => ['fidelity', TINY, '--simload', dir, '--skynet', dir, '--out', out]),
          [
            'fidelity',
            TINY,
            '--simload',
            [sim, sim, sim].join(','),
            '--skynet',
            [sky, sky, sky].join(','),
            '--repeat',
            '3',
            '--out',
            three,
          ],
        ])
      ).map((r) => ({ code: r.code, out: r.stdout, err: r.stderr }));
      const selfRuns = rest.slice(0, 2);
      const rep = rest[2]!;

      // The table is a function of the two folders: the same two folders give it again, and the same exit.
      assert.equal(folders.code, pair.code, folders.err);
      assert.ok(folders.out.startsWith(`fidelity fidelity-tiny: simload ${sim} vs skynet ${sky}\n`), folders.out);
      assert.ok(pair.out.endsWith(folders.out), `the pair printed:\n${pair.out}\nits folders give:\n${folders.out}`);
      assert.deepEqual(readRecord(again).pairs, record.pairs);

      // Each folder against itself: every row but the jemalloc-side ones (each side takes what lies outside jemalloc
      // its own way) has ratio 1, printed and recorded.
      for (const [k, { dir, out: self }] of selves.entries()) {
        const r = selfRuns[k]!;
        const tables = readRecord(self).pairs[0]!.tables;
        assert.equal(r.code, expectedExit(readRecord(self)), r.err);
        const rows = printedRows(r.out, 'madv-free').filter(([metric]) => !metric!.includes('jemalloc-side'));
        const ratios = rows.map((row) => row[3]);
        assert.ok(ratios.filter((x) => x === '1.00').length >= 8, `${dir}: ratios ${ratios.join(' ')}`);
        assert.deepEqual(
          ratios.filter((x) => x !== '1.00' && x !== '-'),
          [],
          `${dir}: ${r.out}`,
        );
        for (const row of tables[0]!.rows)
          if (!row.metric.includes('jemalloc-side') && row.ratio !== null)
            assert.equal(row.ratio, 1, `${dir}: ${row.metric}`);
        rmSync(self, { recursive: true, force: true });
      }

      // --repeat from recorded folders: each pair's table, then the rows across the pairs, in the record too.
      const rec3 = readRecord(three);
      assert.equal(rep.code, expectedExit(rec3), rep.err);
      assert.equal(rec3.pairs.length, 3);
      assert.equal(rec3.spread?.pairs, 3);
      assert.match(rep.out, /^pair 1 of 3: fidelity fidelity-tiny: /);
      assert.match(rep.out, /\npair 3 of 3: fidelity fidelity-tiny: /);
      assert.match(
        rep.out,
        /\nacross 3 pairs( \(left out, INVALID: [^)]*\))?\n\nmadv-free\s+pair 1\s+pair 2\s+pair 3\s+median\s+pairs ok\s+target\n/,
      );
      // The same pair three times: every row met in all three pairs or in none.
      for (const row of rec3.spread!.rows)
        assert.ok(row.passes === 0 || row.passes === row.judged, `${row.metric}: ${row.passes} of ${row.judged}`);
      for (const d of [base, again, three]) rmSync(d, { recursive: true, force: true });
    },
  );
});
