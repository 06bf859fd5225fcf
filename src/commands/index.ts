// Every command simload has, in the order --help lists them.
import { runCommand } from './run.js';
import { reportCommand } from './report.js';
import { compareCommand } from './compare.js';
import { planCommand } from './plan.js';
import { probeCommand } from './probe.js';
import { buildCommand } from './build.js';
import { serveCommand } from './serve.js';
import { watchCommand } from './watch.js';
import { fidelityCommand } from './fidelity.js';
import { schemaCommand } from './schema.js';
import { exportCommand } from './export.js';
import type { SimloadCommand } from './command.js';

export const commands: SimloadCommand[] = [
  runCommand,
  reportCommand,
  compareCommand,
  planCommand,
  probeCommand,
  buildCommand,
  serveCommand,
  watchCommand,
  fidelityCommand,
  exportCommand,
  schemaCommand,
];
