// Progress while a run goes: phase, online players, server Rss and LazyFree per variant. It only listens
// (driver 'phase' events, recorder 'sample' events). On a terminal one line is rewritten in place; in CI
// logs (not a TTY) it prints a plain line per variant every few seconds, plus one per phase change.

import type { Sample } from '../results/sample.js';
import { formatBytes, formatDuration } from '../units.js';
import type { PhaseEvent } from './engine.js';

export interface ProgressOptions {
  out: NodeJS.WritableStream & { isTTY?: boolean; columns?: number };
  /** Phases per variant, for `2/5`. */
  phaseCount: number;
  /** Plain-line mode: at most one line per variant this often, ms. */
  plainEveryMs?: number;
  /** Force a mode (tests); default: live when `out` is a TTY. */
  live?: boolean;
}

interface VariantLine {
  phase: string;
  phaseIndex: number;
  sample: Sample | null;
  lastPrinted: number;
}

export class Progress {
  private readonly variants = new Map<string, VariantLine>();
  private readonly live: boolean;
  private readonly plainEveryMs: number;
  private lineShown = false;
  private closed = false;

  constructor(private readonly o: ProgressOptions) {
    this.live = o.live ?? Boolean(o.out.isTTY);
    this.plainEveryMs = o.plainEveryMs ?? 5000;
  }

  variantStarted(variant: string): void {
    this.variants.set(variant, { phase: 'starting', phaseIndex: -1, sample: null, lastPrinted: 0 });
    this.render();
  }

  onPhase = (e: PhaseEvent): void => {
    const v = this.line(e.variant);
    v.phase = e.phase;
    v.phaseIndex = e.phaseIndex;
    const which =
      e.phaseIndex >= 0 && e.phaseIndex < this.o.phaseCount ? ` (${e.phaseIndex + 1}/${this.o.phaseCount})` : '';
    const span = e.durationMs > 0 ? ` for ${formatDuration(e.durationMs)}` : '';
    // A ramp starts at its start count: say where it goes, not "target 0 players".
    const goal =
      e.toTarget !== undefined && e.toTarget !== e.target
        ? `target ${e.target} -> ${e.toTarget} players`
        : `target ${e.target} players`;
    this.print(`${e.variant}: ${e.phase}${which}${span}, ${goal}`);
  };

  onSample = (s: Sample): void => {
    const v = this.line(s.variant);
    v.sample = s;
    if (this.live) return this.render();
    const now = Date.now();
    if (now - v.lastPrinted >= this.plainEveryMs) {
      v.lastPrinted = now;
      this.print(`${s.variant}: ${describe(v)}`);
    }
  };

  /** Prints a line of its own (keeps the live line below it). */
  print(text: string): void {
    if (this.closed) return;
    if (this.live) {
      this.clear();
      this.o.out.write(`${text}\n`);
      this.render();
    } else {
      this.o.out.write(`${text}\n`);
    }
  }

  close(): void {
    if (this.closed) return;
    this.clear();
    this.closed = true;
  }

  private line(variant: string): VariantLine {
    let v = this.variants.get(variant);
    if (!v) this.variants.set(variant, (v = { phase: 'starting', phaseIndex: -1, sample: null, lastPrinted: 0 }));
    return v;
  }

  private clear(): void {
    if (this.live && this.lineShown) {
      this.o.out.write('\r\x1b[2K');
      this.lineShown = false;
    }
  }

  private render(): void {
    if (!this.live || this.closed || this.variants.size === 0) return;
    const parts = [...this.variants].map(([name, v]) => `${name} ${describe(v)}`);
    let text = parts.join(' | ');
    const width = this.o.out.columns ?? 120;
    if (text.length > width - 1) text = `${text.slice(0, Math.max(10, width - 2))}…`;
    this.o.out.write(`\r\x1b[2K${text}`);
    this.lineShown = true;
  }
}

function describe(v: VariantLine): string {
  const s = v.sample;
  if (!s) return v.phase;
  // The server's loaded players (state in the heap) against the target; the bots' count when it differs.
  const held = typeof s.loaded === 'number' ? s.loaded : s.online;
  const bots = typeof s.bots === 'number' && s.bots !== held ? ` (bots ${s.bots})` : '';
  const stale = s.alloc === null ? ' [no stats]' : '';
  return `${formatDuration(s.t)} ${s.phase} online ${held}/${s.target}${bots} Rss ${formatBytes(s.proc.rss)} LazyFree ${formatBytes(s.proc.lazyFree)}${stale}`;
}
