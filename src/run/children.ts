// Every server process the run has started and not yet seen stop. If simload itself goes down (an
// uncaught error, a second Ctrl-C, process.exit), they are SIGKILLed on the way out: no orphans.

export interface Killable {
  pid: number;
  kill(): void;
}

const live = new Set<Killable>();

export function adopt(k: Killable): () => void {
  live.add(k);
  return () => live.delete(k);
}

export function killAllChildren(): number {
  let n = 0;
  for (const k of live) {
    try {
      k.kill();
      n++;
    } catch {
      // already gone
    }
  }
  live.clear();
  return n;
}

process.on('exit', () => {
  killAllChildren();
});
