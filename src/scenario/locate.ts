// Maps a path in the parsed data (`load.phases[2].ramp.to`) back to a line and column of the YAML text,
// through the node ranges `yaml` keeps and its LineCounter.

import { isMap, isScalar, isSeq, type Document, type LineCounter, type Node } from 'yaml';
import type { PathPart } from './problems.js';

export interface Position {
  line: number;
  col: number;
}

export class Locator {
  constructor(
    private readonly doc: Document.Parsed,
    private readonly lines: LineCounter,
  ) {}

  /** Where the value at `path` starts; the nearest existing ancestor when it does not exist. */
  value(path: readonly PathPart[]): Position {
    const found = this.walk(path);
    return this.pos(found.node?.range?.[0] ?? 0);
  }

  /** Where the key of the last path part is written (for unknown keys); falls back to `value`. */
  key(path: readonly PathPart[]): Position {
    if (path.length === 0) return this.value(path);
    const parent = this.walk(path.slice(0, -1));
    const last = path[path.length - 1]!;
    if (parent.complete && isMap(parent.node)) {
      for (const pair of parent.node.items) {
        const k = pair.key;
        if (isScalar(k) && String(k.value) === String(last) && k.range) return this.pos(k.range[0]);
      }
    }
    return this.value(path);
  }

  pos(offset: number): Position {
    const p = this.lines.linePos(offset);
    return { line: p.line, col: p.col };
  }

  private walk(path: readonly PathPart[]): { node: Node | null; complete: boolean } {
    let node: Node | null = (this.doc.contents as Node | null) ?? null;
    for (const part of path) {
      let next: Node | null = null;
      if (isMap(node)) {
        const pair = node.items.find((p) => isScalar(p.key) && String(p.key.value) === String(part));
        next = pair ? ((pair.value as Node | null) ?? (pair.key as Node)) : null;
      } else if (isSeq(node) && typeof part === 'number') {
        next = (node.items[part] as Node | undefined) ?? null;
      }
      if (!next || !next.range) return { node, complete: false };
      node = next;
    }
    return { node, complete: true };
  }
}
