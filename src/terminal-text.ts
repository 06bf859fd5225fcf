// Text that reaches a terminal from outside (scenario and variant names, a script's error, a skynet console's
// reply, a run folder's contents) must not drive it: a NUL, an escape sequence or a right-to-left override
// (U+202E) would hide or reorder what is shown. Such characters are written as escapes instead. Newlines and
// tabs stay. A leaf: the CLI applies it to everything it writes (commands/safe-output.ts).

// C0 controls but tab and newline, DEL, C1 controls, and the invisible format characters that reorder or hide
// text: bidi marks, embeddings, overrides and isolates, zero-width characters, line/paragraph separators, BOM.
// eslint-disable-next-line no-control-regex -- finding control characters is what this pattern is for
const UNSAFE = /[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]/g;

/** `text` with every character that could drive or disguise a terminal written as \xNN or \uNNNN. */
export function terminalText(text: string): string {
  return text.replace(UNSAFE, (c) => {
    const n = c.charCodeAt(0);
    return n <= 0xff ? `\\x${n.toString(16).padStart(2, '0')}` : `\\u${n.toString(16).padStart(4, '0')}`;
  });
}
