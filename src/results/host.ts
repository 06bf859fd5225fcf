// The machine a run folder was recorded on, as run.json's `host` says it.

import { cpus, release, totalmem } from 'node:os';
import type { RunMeta } from './layout.js';

export function thisHost(): RunMeta['host'] {
  return { cpus: cpus().length, memBytes: totalmem(), kernel: release(), node: process.version };
}
