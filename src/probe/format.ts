// Printing a probe result: a pure function of plain data.
import { formatBytes } from '../units.js';
import type { ProbeResult } from './probe.js';
import type { Purging } from './purging.js';

const pct = (x: number) => `${(x * 100).toFixed(x < 0.1 && x > -0.1 ? 1 : 0)}%`;

const EXPLAIN: Record<Purging, string> = {
  lazy: 'LAZY (MADV_FREE): freed pages stay in Rss as LazyFree until the kernel needs memory',
  eager: 'EAGER (MADV_DONTNEED): freed pages left Rss at once',
  retained:
    'RETAINED: freed pages neither left Rss nor became LazyFree (kept dirty by the allocator, or not purged yet)',
};

export function formatProbe(r: ProbeResult): string {
  const m = r.measurement;
  const v = r.verdict;
  const lib = r.libPath ?? 'libc malloc (in process)';
  const confNote =
    r.confSource === 'probe-default'
      ? ' (probe default: dirty pages decay within 100 ms and muzzy ones are kept, so lazy purging shows; override with --malloc-conf)'
      : r.confSource === 'user'
        ? ' (from --malloc-conf)'
        : '';
  const row = (label: string, p: typeof m.before) =>
    `  ${label.padEnd(18)}${formatBytes(p.rss).padStart(12)}${formatBytes(p.lazyFree).padStart(12)}${formatBytes(p.allocated).padStart(12)}${formatBytes(p.pmuzzy).padStart(12)}`;
  return [
    `probe ${r.variant}: ${r.kind} ${m.version ?? ''}`.trimEnd(),
    `  library:     ${lib}${r.kind === 'jemalloc' ? ` (prefix ${r.prefix || 'none'})` : ''}`,
    r.kind === 'jemalloc' ? `  malloc_conf: ${r.mallocConf ?? '(none)'}${confNote}` : null,
    r.kind === 'jemalloc'
      ? `  opts:        dirty_decay_ms ${m.opts.dirtyDecayMs}, muzzy_decay_ms ${m.opts.muzzyDecayMs}, background_thread ${m.opts.backgroundThread}, narenas ${m.opts.narenas}`
      : null,
    `  workload:    ${m.objects.toLocaleString('en-US')} objects of ${m.minSize}..${m.maxSize} B, every byte written, all freed, decay stepped for ${m.settleMs} ms`,
    '',
    `  ${''.padEnd(18)}${'Rss'.padStart(12)}${'LazyFree'.padStart(12)}${'allocated'.padStart(12)}${'muzzy'.padStart(12)}`,
    row('before', m.before),
    row('after alloc', m.afterAlloc),
    row('after free+decay', m.afterFree),
    '',
    `  freed ${formatBytes(m.freedBytes)}; Rss fell ${formatBytes(v.rssFall)} (${pct(v.rssFallShare)} of freed); LazyFree ${formatBytes(m.afterFree.lazyFree)} (${pct(v.lazyShare)} of freed); Rss - LazyFree ${formatBytes(v.unreclaimable)}`,
    `verdict: ${EXPLAIN[v.purging]}`,
    '',
  ]
    .filter((l) => l !== null)
    .join('\n');
}
