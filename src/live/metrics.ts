// The run's samples as Prometheus metrics (prom-client, OpenMetrics exposition): every sample sets the gauges of
// its variant, cumulative counts feed counters, and a variant that ended has its series removed. Names follow
// Prometheus' conventions: `simload_` prefix, base units (`_bytes`, `_seconds`), `_total` on counters; labels
// `variant`, and `arena`, `part`, `phase`, `service` where a value has several. docs/live.md lists them.

import type { LatencySummary, RunEvent } from '../results/layout.js';
import type { Sample } from '../results/sample.js';
import { BREAKDOWN_PARTS, breakdown, type BreakdownPart } from '../analysis/breakdown.js';
import { CounterSeries, GaugeSeries, openMetricsRegistry } from './series.js';

/** The breakdown's parts as label values (snake case, as Prometheus label values usually are). */
export const PART_LABELS: Record<BreakdownPart, string> = {
  live: 'live',
  fragmentation: 'fragmentation',
  dirty: 'dirty',
  metadata: 'metadata',
  residentNotActive: 'resident_not_active',
  lazyFree: 'lazy_free',
  rest: 'rest',
};

const QUANTILES: Array<[keyof LatencySummary, string]> = [
  ['p50', '0.5'],
  ['p90', '0.9'],
  ['p99', '0.99'],
  ['p999', '0.999'],
];
const JMEM_UNKNOWN = new Set(['metadata', 'pdirty', 'pmuzzy']);
const CMEM_GROUPS = ['live', 'exited', 'unlisted'] as const;
/** latency.json holds microseconds. */
const US = 1e-6;

export class SampleMetrics {
  readonly registry = openMetricsRegistry();
  private readonly all: Array<GaugeSeries | CounterSeries> = [];

  private gauge(name: string, help: string, labels: string[] = []): GaugeSeries {
    const g = new GaugeSeries(this.registry, name, help, labels);
    this.all.push(g);
    return g;
  }

  private counter(name: string, help: string, labels: string[] = []): CounterSeries {
    const c = new CounterSeries(this.registry, name, help, labels);
    this.all.push(c);
    return c;
  }

  private readonly run = this.gauge('simload_run_info', 'The run folder being written (value 1)', ['run', 'scenario']);
  private readonly ts = this.gauge('simload_sample_timestamp_seconds', 'When the latest sample was taken (Unix time)');
  private readonly samples = this.counter('simload_samples_total', 'Samples taken');
  private readonly noStats = this.counter(
    'simload_samples_without_stats_total',
    'Samples whose allocator stats did not arrive in time',
  );
  private readonly proc = {
    rss: this.gauge('simload_rss_bytes', 'Rss of the server process (/proc/PID/smaps_rollup)'),
    lazyFree: this.gauge(
      'simload_lazyfree_bytes',
      'LazyFree: pages freed with MADV_FREE the kernel has not taken back yet',
    ),
    anonymous: this.gauge('simload_anonymous_bytes', 'Anonymous memory of the server process'),
    anonHugePages: this.gauge(
      'simload_anon_huge_pages_bytes',
      'Anonymous transparent huge pages of the server process',
    ),
    vmHWM: this.gauge('simload_vm_hwm_bytes', 'Peak Rss so far (VmHWM)'),
  };
  private readonly part = this.gauge(
    'simload_rss_breakdown_bytes',
    'Rss split into parts that add up to it (docs/report.md)',
    ['part'],
  );
  private readonly je = {
    allocated: this.gauge('simload_jemalloc_allocated_bytes', 'jemalloc stats.allocated'),
    active: this.gauge('simload_jemalloc_active_bytes', 'jemalloc stats.active'),
    metadata: this.gauge('simload_jemalloc_metadata_bytes', 'jemalloc stats.metadata'),
    resident: this.gauge('simload_jemalloc_resident_bytes', 'jemalloc stats.resident'),
    mapped: this.gauge('simload_jemalloc_mapped_bytes', 'jemalloc stats.mapped'),
    retained: this.gauge('simload_jemalloc_retained_bytes', 'jemalloc stats.retained'),
    pdirty: this.gauge('simload_jemalloc_dirty_bytes', 'Dirty pages over all arenas: freed, not purged yet'),
    pmuzzy: this.gauge('simload_jemalloc_muzzy_bytes', 'Muzzy pages over all arenas: purged with MADV_FREE'),
  };
  private readonly arena = {
    dirty: this.gauge('simload_jemalloc_arena_dirty_bytes', 'Dirty pages of one arena', ['arena']),
    muzzy: this.gauge('simload_jemalloc_arena_muzzy_bytes', 'Muzzy pages of one arena', ['arena']),
    sweeps: this.counter(
      'simload_jemalloc_arena_purge_sweeps_total',
      'Purge sweeps of one arena (state: dirty -> muzzy/clean, muzzy -> clean)',
      ['arena', 'state'],
    ),
    madvise: this.counter('simload_jemalloc_arena_madvise_calls_total', 'madvise calls of purges of one arena', [
      'arena',
      'state',
    ]),
    purged: this.counter('simload_jemalloc_arena_purged_pages_total', 'Pages purged in one arena', ['arena', 'state']),
  };
  private readonly players = {
    target: this.gauge('simload_target_players', 'Players the driver targets now'),
    online: this.gauge('simload_online_players', 'Players the server has logged in (queued logins included)'),
    loaded: this.gauge(
      'simload_loaded_players',
      'Online players whose login the server has run (their state is in the heap)',
    ),
    bots: this.gauge('simload_bot_players', 'Players the bots hold logged in'),
  };
  private readonly phaseIndex = this.gauge(
    'simload_phase_index',
    'Index of the current phase (-1 baseline, the phase count once done)',
  );
  private readonly phase = this.gauge('simload_phase_info', 'The current phase (value 1)', ['phase']);
  private readonly server = {
    messages: this.counter('simload_server_messages_total', 'Messages the server handled'),
    errors: this.counter('simload_server_errors_total', 'Error replies of the server'),
    logins: this.counter('simload_server_logins_total', 'Logins the server ran'),
    logouts: this.counter('simload_server_logouts_total', 'Logouts the server ran'),
  };
  private readonly runtime = {
    heapUsed: this.gauge('simload_runtime_heap_used_bytes', "The server runtime's V8 heap in use"),
    heapTotal: this.gauge('simload_runtime_heap_total_bytes', "The server runtime's V8 heap size"),
    external: this.gauge(
      'simload_runtime_external_bytes',
      "The server runtime's memory outside the V8 heap that it tracks",
    ),
  };
  private readonly limit = this.gauge('simload_memory_limit_bytes', 'The cgroup memory limit a pressure phase applies');
  private readonly skynet = {
    consoleMs: this.gauge('simload_skynet_console_round_trip_seconds', "Round trip of the skynet console's jmem"),
    luaTotal: this.gauge('simload_skynet_lua_bytes', 'Memory of every Lua service together (console mem)'),
    luaServices: this.gauge('simload_skynet_lua_services', 'Lua services that answered mem'),
    service: this.gauge('simload_skynet_service_lua_bytes', 'Lua memory of one of the largest services', [
      'service',
      'address',
    ]),
    cmemTotal: this.gauge('simload_skynet_cmem_bytes', "C memory charged to every handle (console cmem's total)"),
    cmemGroup: this.gauge(
      'simload_skynet_cmem_group_bytes',
      'C memory of the services running, exited, or never listed',
      ['group'],
    ),
    cmemHolders: this.gauge('simload_skynet_cmem_group_services', 'Handles holding C memory, per group', ['group']),
    cmemService: this.gauge('simload_skynet_service_c_bytes', 'C memory of one of the largest holders of its group', [
      'group',
      'service',
      'address',
    ]),
  };
  private readonly latency = {
    quantile: this.gauge(
      'simload_bot_latency_seconds',
      'Round trip of the bots, per phase, quantile over the phase so far',
      ['phase', 'quantile'],
    ),
    max: this.gauge('simload_bot_latency_max_seconds', 'Longest round trip of the bots in the phase so far', ['phase']),
    answered: this.counter('simload_bot_messages_answered_total', 'Messages the bots got answers to', ['phase']),
    errors: this.counter('simload_bot_errors_total', 'Error replies the bots got', ['phase']),
    connectFailures: this.counter('simload_bot_connect_failures_total', 'Connections the bots could not open', [
      'phase',
    ]),
  };

  /** The run folder's name, so a dashboard can tell runs apart. */
  runInfo(variant: string, run: string, scenario: string): void {
    this.run.set({ variant, run, scenario }, 1);
  }

  observe(s: Sample): void {
    const v = { variant: s.variant };
    this.ts.set(v, s.wall / 1000);
    const n = this.counts.get(s.variant) ?? { samples: 0, noStats: 0 };
    this.counts.set(s.variant, { samples: n.samples + 1, noStats: n.noStats + (s.alloc === null ? 1 : 0) });
    this.samples.follow(v, n.samples + 1);
    this.noStats.follow(v, n.noStats + (s.alloc === null ? 1 : 0));
    for (const k of Object.keys(this.proc) as Array<keyof SampleMetrics['proc']>) this.proc[k].set(v, s.proc[k]);
    const b = breakdown(s);
    this.part.replace(
      s.variant,
      BREAKDOWN_PARTS.filter((p) => b[p] !== null).map((p) => ({ labels: { part: PART_LABELS[p] }, value: b[p]! })),
    );
    // jemalloc's figures only from jemalloc: simload's bridge gives its version and arenas, a skynet console is
    // jemalloc's (glibc's bridge fills some of the same fields from mallinfo2, and nothing more). The console's
    // jmem alone does not tell metadata, dirty nor muzzy pages (their 0 means unknown).
    const a = s.alloc;
    if (
      a &&
      (a.version !== undefined || a.arenas !== undefined || a.source === 'skynet-jmem' || s.skynet !== undefined)
    ) {
      const jmem = a.source === 'skynet-jmem';
      for (const k of Object.keys(this.je) as Array<keyof SampleMetrics['je']>)
        if (!jmem || !JMEM_UNKNOWN.has(k)) this.je[k].set(v, a[k]);
      const arenas = a.arenas ?? [];
      this.arena.dirty.replace(
        s.variant,
        arenas.map((x) => ({ labels: { arena: String(x.arena) }, value: x.pdirty })),
      );
      this.arena.muzzy.replace(
        s.variant,
        arenas.map((x) => ({ labels: { arena: String(x.arena) }, value: x.pmuzzy })),
      );
      for (const x of arenas) {
        const arena = String(x.arena);
        this.arena.sweeps.follow({ ...v, arena, state: 'dirty' }, x.dirtyNpurge);
        this.arena.sweeps.follow({ ...v, arena, state: 'muzzy' }, x.muzzyNpurge);
        this.arena.madvise.follow({ ...v, arena, state: 'dirty' }, x.dirtyNmadvise);
        this.arena.madvise.follow({ ...v, arena, state: 'muzzy' }, x.muzzyNmadvise);
        this.arena.purged.follow({ ...v, arena, state: 'dirty' }, x.dirtyPurged);
        this.arena.purged.follow({ ...v, arena, state: 'muzzy' }, x.muzzyPurged);
      }
    }
    this.players.target.set(v, s.target);
    this.players.online.set(v, s.online);
    this.players.loaded.set(v, s.loaded);
    this.players.bots.set(v, s.bots);
    this.phaseIndex.set(v, s.phaseIndex);
    this.phase.replace(s.variant, [{ labels: { phase: s.phase }, value: 1 }]);
    if (s.server)
      for (const k of Object.keys(this.server) as Array<keyof SampleMetrics['server']>)
        this.server[k].follow(v, s.server[k]);
    if (s.runtime) {
      this.runtime.heapUsed.set(v, s.runtime.heapUsed);
      this.runtime.heapTotal.set(v, s.runtime.heapTotal);
      this.runtime.external.set(v, s.runtime.external);
    }
    this.limit.set(v, s.memoryLimit);
    if (s.skynet) {
      const k = s.skynet;
      this.skynet.consoleMs.set(v, k.consoleMs === null ? null : k.consoleMs / 1000);
      this.skynet.luaTotal.set(v, k.luaTotal);
      this.skynet.luaServices.set(v, k.luaServices);
      if (k.top.length > 0)
        this.skynet.service.replace(
          s.variant,
          k.top.map((x) => ({ labels: { service: x.name, address: x.address }, value: x.bytes })),
        );
      // cmem is read with mem, every few samples: the gauges keep the last reading in between.
      if (k.cmem) {
        const groups = CMEM_GROUPS.map((g) => [g, k.cmem![g]] as const);
        this.skynet.cmemTotal.set(v, k.cmem.total);
        this.skynet.cmemGroup.replace(
          s.variant,
          groups.map(([group, x]) => ({ labels: { group }, value: x.bytes })),
        );
        this.skynet.cmemHolders.replace(
          s.variant,
          groups.map(([group, x]) => ({ labels: { group }, value: x.count })),
        );
        this.skynet.cmemService.replace(
          s.variant,
          groups.flatMap(([group, x]) =>
            x.top.map((h) => ({
              labels: { group, service: h.name ?? '(unknown)', address: h.address },
              value: h.bytes,
            })),
          ),
        );
      }
    }
  }

  /** Samples and samples without stats per variant: counted here, the sample itself has no running count. */
  private readonly counts = new Map<string, { samples: number; noStats: number }>();

  /** The bots' latency so far, per phase label (`0:ramp`), as latency.json has it. */
  observeLatency(variant: string, phases: Record<string, LatencySummary>): void {
    for (const [phase, p] of Object.entries(phases)) {
      const l = { variant, phase };
      if (p.count > 0) {
        for (const [k, q] of QUANTILES) this.latency.quantile.set({ ...l, quantile: q }, (p[k] as number) * US);
        this.latency.max.set(l, p.max * US);
      }
      this.latency.answered.follow(l, p.count);
      this.latency.errors.follow(l, p.errors);
      this.latency.connectFailures.follow(l, p.connectFailures);
    }
  }

  /** A variant that ended: its series go (Prometheus marks them stale). */
  event(e: RunEvent): void {
    if (e.type !== 'variant-end') return;
    for (const m of this.all) m.forget(e.variant);
    this.counts.delete(e.variant);
  }

  /** The exposition text (OpenMetrics). */
  text(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}
