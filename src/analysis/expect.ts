// `expect:` thresholds against a summary. Units: fractions as fractions (retention 0.6), latency and
// time_to_settle in ms, sizes in bytes, errors as a count. A metric the run could not measure (null) fails:
// a nightly check must not pass on missing data. Pure.

import { UsageError } from '../errors.js';
import type { ExpectRule } from '../scenario/types.js';
import { METRIC_NAMES } from '../results/metrics.js';
import { formatMetric } from './metric-format.js';
import { metricDef } from './metrics.js';
import type { Summary } from './summary.js';

export interface ExpectResult {
  rule: ExpectRule;
  variant: string;
  actual: number | null;
  pass: boolean;
  /** Why there is no actual value, when there is none. */
  reason?: string;
}

export function checkExpectations(summary: Summary, rules: ExpectRule[]): ExpectResult[] {
  const out: ExpectResult[] = [];
  for (const rule of rules) {
    const def = metricDef(rule.metric);
    if (!def) {
      throw new UsageError(
        'ERR_EXPECT_METRIC',
        `expect: unknown metric "${rule.metric}" in "${rule.source}" (known: ${METRIC_NAMES.join(', ')})`,
      );
    }
    const targets =
      rule.variant === null ? summary.variants : summary.variants.filter((v) => v.variant === rule.variant);
    if (targets.length === 0) {
      const reason = rule.variant === null ? 'the run has no variants' : `the run has no variant "${rule.variant}"`;
      out.push({ rule, variant: rule.variant ?? '(none)', actual: null, pass: false, reason });
      continue;
    }
    for (const v of targets) {
      const actual = def.get(v);
      // A run that did not deliver its load measured something else: no threshold passes on it.
      if (v.validity && !v.validity.valid) {
        out.push({
          rule,
          variant: v.variant,
          actual: Number.isFinite(actual) ? actual : null,
          pass: false,
          reason: `invalid run: ${v.validity.reasons[0]}`,
        });
        continue;
      }
      // Nothing happened that the metric times (Rss never grew: nothing to settle): no threshold fails on it.
      const na = def.notApplicable(v);
      if (na !== null) {
        out.push({ rule, variant: v.variant, actual: null, pass: true, reason: `not applicable: ${na}` });
        continue;
      }
      // "Never" (Infinity: never settled, dirty pages never decayed) is a measurement: it passes only `>` rules.
      if (actual === Infinity) {
        out.push({
          rule,
          variant: v.variant,
          actual: Infinity,
          pass: rule.op === '>' || rule.op === '>=',
          reason: def.never ?? 'never',
        });
        continue;
      }
      const measured = actual !== null && Number.isFinite(actual);
      out.push({
        rule,
        variant: v.variant,
        actual: measured ? actual : null,
        pass: measured && compare(actual, rule.op, rule.value),
        ...(measured ? {} : { reason: 'not measured in this run' }),
      });
    }
  }
  return out;
}

function compare(a: number, op: ExpectRule['op'], b: number): boolean {
  switch (op) {
    case '<':
      return a < b;
    case '<=':
      return a <= b;
    case '>':
      return a > b;
    case '>=':
      return a >= b;
  }
}

/** One line per result, failures first and named by their rule; pure. */
export function formatExpectations(results: ExpectResult[]): string {
  if (results.length === 0) return '';
  const failed = results.filter((r) => !r.pass);
  const lines = [...failed, ...results.filter((r) => r.pass)].map(
    (r) => `${r.pass ? 'pass' : 'FAIL'}  ${r.variant}: ${r.rule.source}  (actual ${describeActual(r)})`,
  );
  const head = failed.length
    ? `expect: ${failed.length} of ${results.length} threshold(s) failed`
    : `expect: all ${results.length} threshold(s) passed`;
  return [head, ...lines].join('\n') + '\n';
}

export function describeActual(r: ExpectResult): string {
  if (r.reason?.startsWith('invalid run')) {
    const { reason, ...measured } = r;
    return r.actual === null ? reason : `${reason}; measured ${describeActual(measured)}`;
  }
  if (r.actual === null) return r.reason ?? 'not measured';
  const def = metricDef(r.rule.metric)!;
  const shown = formatMetric(r.actual, def.unit, def.never);
  // Show the raw number too, in the rule's own unit, so `retention < 0.6` reads against 0.63.
  if (r.actual === Infinity) return shown;
  const raw =
    def.unit === 'fraction' || def.unit === 'ratio'
      ? r.actual.toFixed(3)
      : def.unit === 'ms'
        ? `${r.actual.toFixed(2)} ms`
        : String(Math.round(r.actual));
  return shown === raw ? shown : `${shown} = ${raw}`;
}
