// The gate's fast path for the frame nearly every client sends: a game message, exactly as JSON.stringify
// writes it ({"t":"msg","seq":N} with an optional "kind" of plain letters and an optional "ch"). Read from the
// bytes without building a string or an object: routing needs only seq and ch. Anything else (spaces, other
// keys or order, escapes, leading zeros, numbers that are not plain integers) returns null and goes through
// JSON.parse (frames.ts), which decides every error.

import { MAX_CHANNEL } from './protocol.js';

const PREFIX = Buffer.from('{"t":"msg","seq":');
const KIND = Buffer.from(',"kind":"');
const CH = Buffer.from(',"ch":');
const QUOTE = 0x22;
const CLOSE = 0x7d;
/** Digits of a seq read exactly (below 2^53). */
const MAX_DIGITS = 15;

function startsAt(buf: Buffer, at: number, what: Buffer): boolean {
  if (buf.length - at < what.length) return false;
  for (let i = 0; i < what.length; i++) if (buf[at + i] !== what[i]) return false;
  return true;
}

/** A non-negative JSON integer at `at` (no sign, no leading zero, no fraction): [value, end], or null. */
function integer(buf: Buffer, at: number): [number, number] | null {
  let i = at;
  let v = 0;
  while (i < buf.length && i - at <= MAX_DIGITS) {
    const c = buf[i]!;
    if (c < 0x30 || c > 0x39) break;
    v = v * 10 + (c - 0x30);
    i++;
  }
  const n = i - at;
  if (n === 0 || n > MAX_DIGITS || (n > 1 && buf[at] === 0x30)) return null;
  // A fraction or an exponent makes it another number: leave it to JSON.parse.
  const next = buf[i];
  if (next === 0x2e || next === 0x65 || next === 0x45) return null;
  return [v, i];
}

/** seq and ch (undefined when absent) of a plain game-message frame, or null when it is not one. */
export function fastMsg(buf: Buffer): { seq: number; ch: number | undefined } | null {
  if (!startsAt(buf, 0, PREFIX)) return null;
  const s = integer(buf, PREFIX.length);
  if (!s) return null;
  let i = s[1];
  if (startsAt(buf, i, KIND)) {
    i += KIND.length;
    while (i < buf.length && buf[i]! >= 0x61 && buf[i]! <= 0x7a) i++;
    if (buf[i] !== QUOTE) return null;
    i++;
  }
  let ch: number | undefined;
  if (startsAt(buf, i, CH)) {
    const c = integer(buf, i + CH.length);
    if (!c || c[0] > MAX_CHANNEL) return null;
    ch = c[0];
    i = c[1];
  }
  return buf[i] === CLOSE && i === buf.length - 1 ? { seq: s[0], ch } : null;
}
