#!/usr/bin/env node
// Thin launcher: the CLI is compiled to dist/ by `npm install` (the prepare script).
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const entry = join(root, 'dist', 'src', 'cli.js');
if (!existsSync(entry)) {
  process.stderr.write(`simload: ${entry} is missing; run \`npm install\` (or \`npm run build\`) in ${root} first\n`);
  process.exit(2);
}

// Loading simload opens a few hundred files at once; below that Node's module loader fails with a raw EMFILE
// stack. Said here as a usage error instead, as the run's own check says it for sockets (exit 2).
const MIN_OPEN_FILES = 256;
function openFileLimit() {
  try {
    const m = /^Max open files\s+(\d+|unlimited)/m.exec(readFileSync('/proc/self/limits', 'utf8'));
    return !m || m[1] === 'unlimited' ? Infinity : Number(m[1]);
  } catch {
    return Infinity;
  }
}
const tooFew = (limit) =>
  `simload: the open-file limit is ${limit}, and simload needs at least ${MIN_OPEN_FILES} to start (raise it with \`ulimit -n\`, e.g. ulimit -n 65536)\n`;
const limit = openFileLimit();
if (limit < MIN_OPEN_FILES) {
  process.stderr.write(tooFew(limit));
  process.exit(2);
}
let main;
try {
  ({ main } = await import(entry));
} catch (err) {
  if (err?.code !== 'EMFILE' && err?.code !== 'ENFILE') throw err;
  process.stderr.write(tooFew(limit));
  process.exit(2);
}
process.exitCode = await main(process.argv.slice(2));
