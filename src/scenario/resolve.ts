// From the YAML data (units as text) to a Scenario (numbers, defaults filled in), with the checks a schema
// cannot express: impossible values, unknown builds, a ramp to a percentage before any absolute peak, bad
// thresholds. Runs even when the structure has errors, skipping values of the wrong type (those are already
// reported), so one pass reports everything.

import { isAbsolute, normalize, sep } from 'node:path';
import type { VariantOptions } from '../alloc/options.js';
import type { SizeDistribution } from '../server/options.js';
import { formatBytes, parseDuration, parseFraction, parseSize } from '../units.js';
import { LOAD_DEFAULTS, OUTPUT_DEFAULTS, RECORD_DEFAULTS, scenarioServerDefaults } from './defaults.js';
import { parseExpectRule } from './expect.js';
import { didYouMean, type PathPart } from './problems.js';
import { resolveScript } from './script.js';
import { resolveVariants } from './variants.js';
import { MAX_FRAME_BYTES, MAX_THREADS } from '../server/validate.js';
import { BOT_ORIGIN, MUX_DEFAULTS } from '../server/defaults.js';
import type { ExpectRule, Scenario } from './types.js';
import { resolvePhases } from './phases.js';
import { shown, type RawProblem } from './validate.js';

type Obj = Record<string, unknown>;

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '::1']);
export const MIN_RECORD_INTERVAL_MS = 50;
export const MIN_MAX_FRAME = 1024;
/** Node's timers hold at most 2^31-1 ms (~24.8 days); a longer delay silently fires after 1 ms. */
export const MAX_TIMER_MS = 2 ** 31 - 1;
/** Messages per player per second: one every millisecond is far beyond any game, and the bots' timers. */
export const MAX_RATE = 1000;
/** A description is copied into every run folder (scenario.yaml and scenario.json): keep it a description. */
export const MAX_DESCRIPTION_BYTES = 64 * 1024;

export class Resolver {
  readonly problems: RawProblem[] = [];
  /** What only the environment can resolve (an unset `${NAME}`): not a problem of the file, but its variant cannot run. */
  readonly unresolved: Array<RawProblem & { variant: VariantOptions }> = [];

  constructor(private readonly baseDir: string) {}

  problem(path: PathPart[], message: string, atKey = false): void {
    this.problems.push({ path, message, ...(atKey ? { atKey } : {}) });
  }

  resolve(raw: unknown, file: string | null): Scenario | null {
    const root = obj(raw);
    if (!root) return null;
    const server = this.server(obj(root.server) ?? {});
    const variants = resolveVariants(
      root.variants,
      this.baseDir,
      (path, message) => this.problem(path, message),
      (variant, path, message) => this.unresolved.push({ path, message, variant }),
    );
    const load = this.load(obj(root.load) ?? {});
    const record = this.record(obj(root.record) ?? {});
    const expect = this.expect(
      root.expect,
      variants.map((v) => v.name),
    );
    const output = obj(root.output) ?? {};
    // A scenario someone else wrote must not write into /etc or $HOME: results stay under the working folder.
    // Writing elsewhere is the user's explicit choice on the command line (--out).
    if (typeof output.dir === 'string' && (isAbsolute(output.dir) || normalize(output.dir).split(sep).includes('..'))) {
      this.problem(
        ['output', 'dir'],
        `must be a folder inside the working folder (relative, no ..), got ${shown(output.dir)}; to write elsewhere pass --out`,
      );
    }
    if (typeof root.description === 'string' && Buffer.byteLength(root.description) > MAX_DESCRIPTION_BYTES) {
      this.problem(
        ['description'],
        `must be at most ${formatBytes(MAX_DESCRIPTION_BYTES)} (it is copied into every run folder), got ${formatBytes(Buffer.byteLength(root.description))}`,
      );
    }
    const scenario: Scenario = {
      name: typeof root.name === 'string' ? root.name : 'scenario',
      description: typeof root.description === 'string' ? root.description : '',
      file,
      server,
      variants,
      load,
      record,
      expect,
      output: { dir: typeof output.dir === 'string' ? output.dir : OUTPUT_DEFAULTS.dir },
    };
    return this.problems.length === 0 ? scenario : null;
  }

  private server(s: Obj): Scenario['server'] {
    const o = scenarioServerDefaults();
    // The schema's maximum is MAX_THREADS (what server/validate.ts accepts): checked there with file:line:col.
    if (isInt(s.threads)) o.threads = Math.min(s.threads, MAX_THREADS);
    if (s.agent === 'per-player' || s.agent === 'pool') o.agent = s.agent;
    if (isInt(s.pool_size)) {
      o.poolSize = s.pool_size;
      if (o.agent !== 'pool') this.problem(['server', 'pool_size'], 'only applies with `agent: pool`');
    }
    if (typeof s.host === 'string') {
      if (!LOOPBACK.has(s.host))
        this.problem(
          ['server', 'host'],
          `simload only serves on loopback (127.0.0.1, ::1, localhost), got ${shown(s.host)}`,
        );
      else o.host = s.host;
    }
    if (isInt(s.port)) o.port = s.port;
    const state = obj(s.state);
    if (state) {
      if (isInt(state.objects)) o.profile.objects = state.objects;
      const sizes = this.sizes(state.sizes, ['server', 'state', 'sizes']);
      if (sizes) o.profile.sizes = sizes;
    }
    const churn = obj(s.churn);
    if (churn) {
      if (isInt(churn.temp_allocs)) o.churn.tempAllocsPerMessage = churn.temp_allocs;
      const ts = this.sizes(churn.temp_sizes, ['server', 'churn', 'temp_sizes']);
      if (ts) o.churn.tempSizes = ts;
      const rr = this.fraction(churn.realloc_rate, ['server', 'churn', 'realloc_rate']);
      if (rr !== null) o.churn.reallocRate = rr;
      const step = size(churn.realloc_step);
      if (step !== null) o.churn.reallocStep = step;
    }
    if (isInt(s.free_first_workers)) {
      if (s.free_first_workers > o.threads)
        this.problem(
          ['server', 'free_first_workers'],
          `must be at most server.threads (${o.threads}), got ${s.free_first_workers}`,
        );
      else o.freeFirstWorkers = s.free_first_workers;
    }
    const delay = this.timer(s.logout_free_delay, ['server', 'logout_free_delay']);
    if (delay !== null) o.logoutFreeDelayMs = delay;
    const frame = size(s.max_frame);
    if (frame !== null) {
      if (frame < MIN_MAX_FRAME)
        this.problem(
          ['server', 'max_frame'],
          `must be at least 1KiB (a login frame must fit), got ${formatBytes(frame)}`,
        );
      else if (frame > MAX_FRAME_BYTES)
        this.problem(
          ['server', 'max_frame'],
          `must be at most ${formatBytes(MAX_FRAME_BYTES)} (the server's largest frame), got ${formatBytes(frame)}`,
        );
      o.maxFrameBytes = frame;
    }
    if (isInt(s.seed)) o.seed = s.seed;
    if (Array.isArray(s.origins) && s.origins.every((x) => typeof x === 'string'))
      o.allowedOrigins = [BOT_ORIGIN, ...(s.origins as string[])];
    const script = resolveScript(s, this.baseDir, o.agent, (path, message) => this.problem(path, message));
    if (script) {
      o.agentModel = 'lua';
      o.script = script;
    }
    if (typeof s.script === 'string') {
      // The Lua model has no size draws: a script builds the state.
      for (const k of ['state', 'churn'] as const)
        if (s[k] !== undefined)
          this.problem(
            ['server', k],
            'only applies to the synthetic model (no `script:`); a Lua script builds and changes the state itself',
            true,
          );
    }
    return o;
  }

  private sizes(v: unknown, path: PathPart[]): SizeDistribution | null {
    if (Array.isArray(v)) {
      const classes: Array<{ size: number; weight: number }> = [];
      v.forEach((item, i) => {
        const c = obj(item);
        const sz = c ? size(c.size) : null;
        if (!c || sz === null) return;
        if (sz === 0) this.problem([...path, i, 'size'], 'must be at least 1 byte');
        const w = typeof c.weight === 'number' ? c.weight : 1;
        classes.push({ size: sz, weight: w });
      });
      return classes.length === v.length && classes.length > 0 ? { kind: 'classes', classes } : null;
    }
    const ln = obj(obj(v)?.lognormal);
    if (!ln) return null;
    const p = [...path, 'lognormal'];
    const median = size(ln.median);
    const sigma = typeof ln.sigma === 'number' ? ln.sigma : null;
    if (median === null || sigma === null) return null;
    const min = ln.min === undefined ? 1 : size(ln.min);
    const max = ln.max === undefined ? median * 64 : size(ln.max);
    if (min === null || max === null) return null;
    let ok = true;
    if (median < 1) {
      this.problem([...p, 'median'], 'must be at least 1 byte');
      ok = false;
    }
    if (min < 1) {
      this.problem([...p, 'min'], 'must be at least 1 byte');
      ok = false;
    }
    if (ok && min > median) {
      this.problem([...p, 'min'], `must not exceed the median (${formatBytes(median)}), got ${formatBytes(min)}`);
      ok = false;
    }
    if (ok && max < median) {
      this.problem([...p, 'max'], `must be at least the median (${formatBytes(median)}), got ${formatBytes(max)}`);
      ok = false;
    }
    return ok ? { kind: 'lognormal', median, sigma, min, max } : null;
  }

  private fraction(v: unknown, path: PathPart[]): number | null {
    if (v === undefined) return null;
    const f = typeof v === 'number' || typeof v === 'string' ? parseFraction(v) : null;
    if (f === null) return null;
    if (f < 0 || f > 1) {
      this.problem(path, `must be between 0 and 100%, got ${shown(v)}`);
      return null;
    }
    return f;
  }

  private load(l: Obj): Scenario['load'] {
    const rate = typeof l.rate === 'number' && l.rate >= 0 ? l.rate : LOAD_DEFAULTS.messageRate;
    this.rate(l.rate, ['load', 'rate']);
    const think = this.timer(l.think_time, ['load', 'think_time']) ?? LOAD_DEFAULTS.thinkTimeMs;
    const workers = isInt(l.bot_workers) ? l.bot_workers : LOAD_DEFAULTS.botWorkers;
    let perConn: number = LOAD_DEFAULTS.playersPerConnection;
    if (isInt(l.players_per_connection) && l.players_per_connection >= 1) {
      perConn = l.players_per_connection;
      // The server refuses logins past its channel limit (TOO_MANY_CHANNELS): say so here, not mid-run.
      if (perConn > MUX_DEFAULTS.maxChannelsPerConnection) {
        this.problem(
          ['load', 'players_per_connection'],
          `must be at most ${MUX_DEFAULTS.maxChannelsPerConnection} (the server's maxChannelsPerConnection), got ${perConn}`,
        );
      }
    }
    const list = Array.isArray(l.phases) ? l.phases : [];
    const { phases, peak, complete } = resolvePhases(list, {
      problem: (path, message) => this.problem(path, message),
      timer: (v, path) => this.timer(v, path),
      rate: (v, path) => this.rate(v, path),
    });
    const percentBeforePeak = this.problems.some((x) =>
      x.message.includes('no earlier phase ramps to an absolute count'),
    );
    if (list.length > 0 && complete && peak === 0 && !percentBeforePeak) {
      this.problem(['load', 'phases'], 'no phase brings a player online: ramp to a count above 0');
    }
    return { phases, messageRate: rate, thinkTimeMs: think, botWorkers: workers, playersPerConnection: perConn };
  }

  private record(r: Obj): Scenario['record'] {
    const interval = this.timer(r.interval, ['record', 'interval']) ?? RECORD_DEFAULTS.intervalMs;
    if (interval < MIN_RECORD_INTERVAL_MS)
      this.problem(
        ['record', 'interval'],
        `must be at least ${MIN_RECORD_INTERVAL_MS}ms (each sample reads /proc and asks the server), got ${interval}ms`,
      );
    const baseline = this.timer(r.baseline, ['record', 'baseline']) ?? Math.max(2000, 3 * interval);
    const warmup = this.timer(r.warmup, ['record', 'warmup']);
    return { intervalMs: interval, baselineMs: baseline, ...(warmup !== null ? { warmupMs: warmup } : {}) };
  }

  /** A duration that becomes a Node timer: at most MAX_TIMER_MS. */
  private timer(v: unknown, path: PathPart[]): number | null {
    const d = duration(v);
    if (d !== null && d > MAX_TIMER_MS) {
      this.problem(
        path,
        `must be at most ${MAX_TIMER_MS} ms (about 24.8 days, the longest timer Node can set), got ${d} ms`,
      );
      return null;
    }
    return d;
  }

  private rate(v: unknown, path: PathPart[]): void {
    if (typeof v === 'number' && !(Number.isFinite(v) && v <= MAX_RATE)) {
      this.problem(path, `must be at most ${MAX_RATE} messages per player per second, got ${v}`);
    }
  }

  private expect(v: unknown, variants: string[]): ExpectRule[] {
    if (!Array.isArray(v)) return [];
    const out: ExpectRule[] = [];
    const add = (text: unknown, variant: string | null, path: PathPart[]) => {
      if (typeof text !== 'string') return;
      const r = parseExpectRule(text, variant);
      if ('error' in r) this.problem(path, r.error);
      else out.push(r);
    };
    v.forEach((item, i) => {
      if (typeof item === 'string') return add(item, null, ['expect', i]);
      const x = obj(item);
      if (!x) return;
      for (const [variant, rules] of Object.entries(x)) {
        if (!variants.includes(variant)) {
          this.problem(
            ['expect', i, variant],
            `no variant named "${variant}"${didYouMean(variant, variants)} (variants: ${variants.join(', ')})`,
            true,
          );
        }
        if (Array.isArray(rules)) rules.forEach((t, j) => add(t, variant, ['expect', i, variant, j]));
      }
    });
    return out;
  }
}

function obj(v: unknown): Obj | null {
  return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Obj) : null;
}

function isInt(v: unknown): v is number {
  return typeof v === 'number' && Number.isInteger(v);
}

function duration(v: unknown): number | null {
  return typeof v === 'number' || typeof v === 'string' ? parseDuration(v) : null;
}

function size(v: unknown): number | null {
  return typeof v === 'number' || typeof v === 'string' ? parseSize(v) : null;
}
