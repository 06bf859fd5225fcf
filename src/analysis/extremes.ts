// Highest and lowest of a list without spreading it into a call's arguments: a long watch has more samples
// than one call takes (V8 throws a RangeError from about 120 000). Same results as Math.max/min, NaN included.

export function maxOf(values: Iterable<number>, start = -Infinity): number {
  let m = start;
  for (const v of values) m = Math.max(m, v);
  return m;
}

export function minOf(values: Iterable<number>, start = Infinity): number {
  let m = start;
  for (const v of values) m = Math.min(m, v);
  return m;
}
