// `simload report DIR`: renders summary.json, report.html and chart.svg again from a run folder alone, prints
// the summary table (or the summary as JSON), and checks the scenario's `expect:` thresholds.
import { ExitCode } from '../errors.js';
import { checkExpectations, formatExpectations } from '../report/expect.js';
import { writeJUnit } from '../report/junit.js';
import { loadRun } from '../report/load.js';
import { renderReport } from '../report/render.js';
import { formatSummaryTable, invalidLines } from '../report/table.js';
import type { SimloadCommand } from './command.js';

export const reportCommand: SimloadCommand = {
  command: 'report <dir>',
  describe: 'Render the report of a run folder again (summary.json, report.html, chart.svg) and print its summary',
  builder: (y) =>
    y
      .positional('dir', { type: 'string', describe: 'a run folder, e.g. results/ramp-20240501-120000', demandOption: true })
      .option('json', { type: 'boolean', default: false, describe: 'print summary.json instead of the table' })
      .option('junit', { type: 'string', describe: "write the scenario's expect: results as JUnit XML to this file" })
      .example('$0 report results/ramp-20240501-120000', 'render report.html again and print the table')
      .example('$0 report results/ramp-20240501-120000 --json > summary.json', 'the summary as JSON')
      .epilogue('Exit: 0 ok, 1 a threshold failed, 2 not a run folder, 4 the run is INVALID (did not deliver its load).'),
  handler: async (argv) => {
    const dir = String(argv.dir);
    const { summary, html, chart } = await renderReport(dir);
    const run = await loadRun(dir);
    const results = run.scenario ? checkExpectations(summary, run.scenario.expect ?? []) : [];
    if (typeof argv.junit === 'string') await writeJUnit(argv.junit, results);
    if (argv.json) {
      process.stdout.write(JSON.stringify(summary, null, 2) + '\n');
    } else {
      process.stdout.write(formatSummaryTable(summary));
      process.stdout.write(`report: ${html}\nchart:  ${chart}\n`);
      if (results.length) process.stdout.write(formatExpectations(results));
    }
    if (argv.json && results.some((r) => !r.pass)) process.stderr.write(formatExpectations(results));
    if (summary.valid === false) {
      if (argv.json) process.stderr.write(invalidLines(summary).join('\n') + '\n');
      return ExitCode.invalid;
    }
    return results.some((r) => !r.pass) ? ExitCode.checkFailed : ExitCode.ok;
  },
};
