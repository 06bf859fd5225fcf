// The real skynet's CPU time, read by the runner as simload's recorder reads its server's (/proc/PID/stat utime +
// stime, every thread), and joined to the samples skynet's driver wrote by wall clock, so both sides of the
// comparison carry proc.cpuMs from the same reader.
import { readFileSync, writeFileSync } from 'node:fs';
import { readCpuMs } from '../proc/process.js';
import type { Sample } from '../results/sample.js';

export interface CpuPoint {
  wall: number;
  cpuMs: number;
}

const POLL_MS = 200;

/** Reads the process's CPU time every POLL_MS until stop(), which returns the series (time order). */
export function pollCpu(pid: number): { stop: () => CpuPoint[] } {
  const points: CpuPoint[] = [];
  const read = () => {
    const cpuMs = readCpuMs(pid);
    if (cpuMs !== null) points.push({ wall: Date.now(), cpuMs });
  };
  read();
  const timer = setInterval(read, POLL_MS);
  return {
    stop: () => {
      clearInterval(timer);
      read();
      return points;
    },
  };
}

/** CPU time at `wall`, linear between the points around it (the nearest end outside them); null without points. Pure. */
export function cpuAt(points: CpuPoint[], wall: number): number | null {
  if (points.length === 0) return null;
  if (wall <= points[0]!.wall) return points[0]!.cpuMs;
  for (let i = 1; i < points.length; i++) {
    const b = points[i]!;
    if (wall > b.wall) continue;
    const a = points[i - 1]!;
    const f = b.wall === a.wall ? 1 : (wall - a.wall) / (b.wall - a.wall);
    return a.cpuMs + f * (b.cpuMs - a.cpuMs);
  }
  return points.at(-1)!.cpuMs;
}

/** Adds proc.cpuMs to `variant`'s samples in a samples.ndjson file (other lines are kept as they are). */
export function addCpuToSamples(file: string, variant: string, points: CpuPoint[]): void {
  if (points.length === 0) return;
  const lines = readFileSync(file, 'utf8').split('\n');
  const out = lines.map((line) => {
    if (!line.trim()) return line;
    let s: Sample;
    try {
      s = JSON.parse(line) as Sample;
    } catch {
      return line; // a torn last line stays for the reader to report
    }
    if (s.variant !== variant || s.proc.cpuMs !== undefined) return line;
    s.proc.cpuMs = Math.round(cpuAt(points, s.wall)!);
    return JSON.stringify(s);
  });
  writeFileSync(file, out.join('\n'));
}
