// `simload report DIR`: renders summary.json, report.html and chart.svg again from a run folder alone, prints
// the summary table (or the summary as JSON), and ends with the verdict the recording command gave
// (analysis/verdict.ts): the same exit code and lines as the run, serve --record or watch that wrote the folder.
import { UsageError } from '../errors.js';
import type { SimloadCommand } from './command.js';
import { checkWritable } from './writable.js';

/** `--from -2h` read as `--from=-2h`: the parser would take `-2h` for the flags -2 and -h (help). */
export function joinWindowValues(args: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    const next = args[i + 1];
    if ((a === '--from' || a === '--to') && next !== undefined && /^-\d/.test(next)) {
      out.push(`${a}=${next}`);
      i++;
    } else out.push(a);
  }
  return out;
}

export const reportCommand: SimloadCommand = {
  command: 'report <dir>',
  describe: 'Render the report of a run folder again (summary.json, report.html, chart.svg) and print its summary',
  builder: (y) =>
    y
      .positional('dir', {
        type: 'string',
        describe: 'a run folder, e.g. results/ramp-20240501-120000',
        demandOption: true,
      })
      .option('json', { type: 'boolean', default: false, describe: 'print summary.json instead of the table' })
      .option('junit', {
        type: 'string',
        describe: "write the scenario's expect: results as JUnit XML to this file (a complete run only, as run does)",
      })
      .option('from', {
        type: 'string',
        describe:
          'report only the samples from this time on: ISO time, +DURATION after the start or -DURATION before the end; written to DIR/window-<from>s-<to>s/',
      })
      .option('to', { type: 'string', describe: 'report only the samples up to this time (as --from)' })
      .example('$0 report results/ramp-20240501-120000', 'render report.html again and print the table')
      .example('$0 report results/skynet-20240501-120000 --from -2h', 'the last two hours of a long watch')
      .example('$0 report results/ramp-20240501-120000 --json > summary.json', 'the summary as JSON')
      .check((a) => {
        for (const f of ['from', 'to'])
          if (a[f] === '') throw new UsageError('ERR_USAGE', `--${f} needs a time, e.g. --${f} -2h`);
        return true;
      })
      .epilogue(
        'Exit: as the run that wrote the folder: 0 ok, 1 a threshold failed, 2 not a run folder, 3 the run failed ' +
          '(or run.json never said how it ended), 4 the run is INVALID (did not deliver its load), 130 the run was interrupted.',
      ),
  handler: async (argv) => {
    const { checkExpectations } = await import('../analysis/expect.js');
    const { writeJUnit } = await import('../report/junit.js');
    const { renderReport } = await import('../report/render.js');
    const { formatSummaryTable } = await import('../report/table.js');
    const { folderVerdictInput, verdict } = await import('../analysis/verdict.js');
    const { resolveWindow } = await import('../analysis/window.js');
    const dir = String(argv.dir);
    if (typeof argv.junit === 'string') checkWritable(argv.junit, '--junit');
    const from = typeof argv.from === 'string' ? argv.from : null;
    const to = typeof argv.to === 'string' ? argv.to : null;
    const window = from !== null || to !== null ? await resolveWindow(dir, from, to) : undefined;
    const { summary, html, chart, run } = await renderReport(dir, window ? { window } : {});
    const { input, note } = folderVerdictInput(
      run.meta,
      run.scenario,
      summary,
      run.scenario ? checkExpectations(summary, run.scenario.expect ?? []) : [],
    );
    const v = verdict(input);
    if (v.checked && typeof argv.junit === 'string') await writeJUnit(argv.junit, v.checked);
    const lines = [...(note ? [`note: ${note}`] : []), ...v.lines];
    if (argv.json) {
      process.stdout.write(JSON.stringify(summary, null, 2) + '\n');
      // stdout is the JSON; what went wrong goes to stderr.
      if (v.outcome !== 'ok' && lines.length > 0) process.stderr.write(lines.join('\n') + '\n');
    } else {
      process.stdout.write(formatSummaryTable(summary));
      process.stdout.write(`report: ${html}\nchart:  ${chart}\n`);
      if (lines.length > 0) process.stdout.write(lines.join('\n') + '\n');
    }
    return v.exitCode;
  },
};
