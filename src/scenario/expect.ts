// `expect:` rules: `retention < 0.6`, `p99 < 50ms`, `peak_rss <= 2GiB`, `lazyfree_share < 5%`. The value is
// read in the metric's own unit (the catalogue, results/metrics.ts): fractions, bytes, milliseconds, counts.

import { METRIC_NAMES, metricInfo } from '../results/metrics.js';
import { parseDuration, parseFraction, parseSize } from '../units.js';
import type { ExpectRule } from './types.js';
import { didYouMean } from './problems.js';

const RULE = /^\s*([A-Za-z_][A-Za-z0-9_]*)\s*(<=|>=|<|>)\s*(\S.*?)\s*$/;

/** A rule, or the reason it is not one. */
export function parseExpectRule(text: string, variant: string | null): ExpectRule | { error: string } {
  const m = RULE.exec(text);
  if (!m) return { error: `expected \`metric op value\` such as \`retention < 0.6\`, got ${JSON.stringify(text)}` };
  const metric = m[1]!;
  const op = m[2] as ExpectRule['op'];
  const raw = m[3]!;
  const def = metricInfo(metric);
  if (!def)
    return {
      error: `unknown metric "${metric}"${didYouMean(metric, METRIC_NAMES)} (known: ${METRIC_NAMES.join(', ')})`,
    };
  let value: number | null;
  switch (def.unit) {
    case 'fraction':
      value = parseFraction(raw);
      break;
    case 'bytes':
      value = parseSize(raw);
      break;
    case 'ms':
      // A bare number is milliseconds here (the report's unit), not seconds as elsewhere.
      value = /^\d+(\.\d+)?$/.test(raw) ? Number(raw) : parseDuration(raw);
      break;
    case 'bytes_per_hour':
      value = parseSizePerHour(raw);
      break;
    default:
      value = /^-?\d+(\.\d+)?$/.test(raw) ? Number(raw) : null;
  }
  if (value === null || !Number.isFinite(value)) {
    const hint: Record<string, string> = {
      fraction: 'a fraction such as 0.6 or 60%',
      bytes: 'a size such as 512MiB',
      ms: 'a duration such as 50ms or 30s',
      ratio: 'a number such as 1.5',
      count: 'a whole number',
      rate: 'a number',
      bytes_per_hour: 'a size per time such as 5MiB/h or 100KiB/min',
    };
    return { error: `${metric} needs ${hint[def.unit] ?? 'a number'}, got ${JSON.stringify(raw)}` };
  }
  return { variant, metric, op, value, source: text.trim() };
}

const PER: Record<string, number> = { s: 3600, sec: 3600, min: 60, m: 60, h: 1, hour: 1, d: 1 / 24, day: 1 / 24 };

/** Bytes per hour from `5MiB/h`, `100KiB/min`, `-1MiB/h` (memory that shrinks), `2GiB/day`; null when malformed. */
export function parseSizePerHour(raw: string): number | null {
  const m = /^\s*(-?)\s*([^/\s][^/]*?)\s*\/\s*([a-z]+)\s*$/i.exec(raw);
  if (!m) return null;
  const size = parseSize(m[2]!);
  const per = PER[m[3]!.toLowerCase()];
  if (size === null || per === undefined) return null;
  return (m[1] === '-' ? -1 : 1) * size * per;
}
