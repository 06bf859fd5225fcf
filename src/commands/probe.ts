// `simload probe`: does this allocator purge lazily (MADV_FREE) or eagerly? Measured in a child process.
import { resolve } from 'node:path';
import { UsageError } from '../errors.js';
import type { Purging } from '../probe/purging.js';
import type { VariantOptions } from '../alloc/options.js';
import { parseDuration, parseSize } from '../units.js';
import type { SimloadCommand } from './command.js';

export const probeCommand: SimloadCommand = {
  command: 'probe',
  describe: 'Tell whether an allocator build purges lazily (MADV_FREE, memory stays in Rss as LazyFree) or eagerly',
  builder: (y) =>
    y
      .option('variant', { type: 'string', describe: 'a build: madv-free, no-madv-free, glibc' })
      .option('jemalloc', {
        type: 'string',
        describe:
          'with --variant madv-free|no-madv-free: the build of this jemalloc source (tree or tarball; `simload build --source PATH`)',
      })
      .option('lib', {
        type: 'string',
        describe: "a jemalloc shared library of your own (e.g. Debian's /usr/lib/x86_64-linux-gnu/libjemalloc.so.2)",
      })
      .option('prefix', {
        type: 'string',
        choices: ['je_', 'none'],
        describe: 'symbol prefix of --lib (default: detected)',
      })
      .option('malloc-conf', {
        type: 'string',
        describe: 'jemalloc conf for the child (default: dirty_decay_ms:100,muzzy_decay_ms:-1)',
      })
      .option('size', { type: 'string', default: '256MiB', describe: 'bytes to allocate in small objects' })
      .option('settle', { type: 'string', default: '1s', describe: 'how long decay is stepped after the free' })
      .option('expect', {
        type: 'string',
        choices: ['lazy', 'eager', 'retained'],
        describe: 'exit 1 unless the verdict is this',
      })
      .option('json', { type: 'boolean', default: false, describe: 'print the measurement as JSON' })
      .example('simload probe --variant madv-free', '')
      .example('simload probe --variant no-madv-free --jemalloc ~/skynet/3rd/jemalloc', '')
      .example('simload probe --lib /usr/lib/x86_64-linux-gnu/libjemalloc.so.2 --prefix none', ''),
  handler: async (argv) => {
    const { formatProbe } = await import('../probe/format.js');
    const { runProbe } = await import('../probe/probe.js');
    const { probeVerdict } = await import('../probe/purging.js');
    const variant = variantFromFlags(argv);
    const size = parseSize(String(argv.size));
    if (size === null || size < 1024 * 1024)
      throw new UsageError('ERR_USAGE', `--size "${String(argv.size)}": expected a size of at least 1MiB, e.g. 256MiB`);
    const settle = parseDuration(String(argv.settle));
    if (settle === null)
      throw new UsageError('ERR_USAGE', `--settle "${String(argv.settle)}": expected a duration, e.g. 1s or 500ms`);
    const r = await runProbe({ variant, targetBytes: size, settleMs: settle });
    process.stdout.write(argv.json ? JSON.stringify(r, null, 2) + '\n' : formatProbe(r));
    const v = probeVerdict(r.verdict.purging, typeof argv.expect === 'string' ? (argv.expect as Purging) : undefined);
    for (const line of v.lines) process.stderr.write(`simload: ${line}\n`);
    return v.exitCode;
  },
};

function variantFromFlags(argv: Record<string, unknown>): VariantOptions {
  const build = typeof argv.variant === 'string' ? argv.variant : undefined;
  const lib = typeof argv.lib === 'string' ? argv.lib : undefined;
  if (build && lib) throw new UsageError('ERR_USAGE', 'give --variant or --lib, not both');
  if (!build && !lib)
    throw new UsageError('ERR_USAGE', 'give --variant NAME (madv-free, no-madv-free, glibc) or --lib PATH');
  if (argv.prefix !== undefined && !lib) throw new UsageError('ERR_USAGE', '--prefix applies to --lib only');
  if (typeof argv.jemalloc === 'string' && (!build || build === 'glibc'))
    throw new UsageError('ERR_USAGE', '--jemalloc goes with --variant madv-free or --variant no-madv-free');
  const v: VariantOptions = build ? { name: build, build } : { name: lib!, lib: lib! };
  if (typeof argv.jemalloc === 'string') v.jemalloc = resolve(argv.jemalloc);
  if (argv.prefix !== undefined) v.prefix = argv.prefix as 'je_' | 'none';
  if (typeof argv['malloc-conf'] === 'string') v.mallocConf = argv['malloc-conf'];
  return v;
}
