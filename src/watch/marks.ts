// Phase marks: words the operator types (one per line on stdin) while a watch runs. Each word starts a phase,
// so the report measures a watched server as it measures a run:
//   (before any mark)      baseline: the Rss the retention is measured against
//   up, ramp               players arriving (a ramp)
//   peak, hold             players at their peak (a hold)
//   down                   players leaving (the ramp-down; time to settle is counted from its end)
//   quiet, settle          after the players left (a hold: the last hold is where the settled Rss is taken)
//   any other word         a hold under that name (shown on the charts; the last hold is where Rss settles)
// `target` in a watch folder is not a player count: 0 from `down`/`quiet`/`settle`, 1 otherwise, so the
// report finds the ramp-down as in a run.

export type MarkKind = 'ramp' | 'hold';

const RAMPS = new Set(['up', 'ramp', 'down']);
const GONE = new Set(['down', 'quiet', 'settle']);

export interface Mark {
  word: string;
  kind: MarkKind;
  target: 0 | 1;
}

/** Null for an empty line or one that is not a single word (letters, digits, `-`, `_`). */
export function parseMark(line: string): Mark | null {
  const word = line.trim().toLowerCase();
  if (!/^[a-z0-9][a-z0-9_-]{0,39}$/.test(word)) return null;
  return { word, kind: RAMPS.has(word) ? 'ramp' : 'hold', target: GONE.has(word) ? 0 : 1 };
}
