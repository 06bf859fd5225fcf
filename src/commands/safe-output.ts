// Everything the CLI writes to stdout and stderr goes through terminalText, so no name, message or remote reply
// reaches the terminal raw, whichever command or module printed it. The one sequence simload writes on purpose,
// the progress line's "clear the line" (driver/progress.ts), passes as it is. JSON stays JSON: a raw U+202E can
// only stand inside a string, where \u202e is the same string; JSON.stringify already escapes C0 controls.

import { terminalText } from '../terminal-text.js';

const OWN = '\r\x1b[2K';
/** Process-wide, as the streams are: installed once however often main() runs. */
let installed = false;

export function escapeOutput(): void {
  if (installed) return;
  installed = true;
  for (const stream of [process.stdout, process.stderr]) {
    const write = stream.write.bind(stream) as (chunk: unknown, ...rest: unknown[]) => boolean;
    stream.write = ((chunk: unknown, ...rest: unknown[]) =>
      write(
        typeof chunk === 'string' ? chunk.split(OWN).map(terminalText).join(OWN) : chunk,
        ...rest,
      )) as typeof stream.write;
  }
}
