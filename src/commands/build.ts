// `simload build [NAME...] [--force] [--list]`: builds the jemalloc variants (what `npm install` does), or lists them.
import { ExitCode } from '../errors.js';
import type { SimloadCommand } from './command.js';
import type { listBuilds } from '../alloc/variants.js';
import type { readBuildRecord } from '../native/jemalloc-build.js';

export const buildCommand: SimloadCommand = {
  command: 'build [names..]',
  describe: 'Build the jemalloc variants (madv-free, no-madv-free) and the allocator shim; --list shows what is built',
  builder: (y) =>
    y
      .positional('names', { type: 'string', array: true, describe: 'variants to build (default: all)' })
      .option('force', { type: 'boolean', default: false, describe: 'rebuild even when up to date' })
      .option('list', {
        type: 'boolean',
        default: false,
        describe: 'list the builds with their jemalloc version and configure flags',
      })
      .option('json', { type: 'boolean', default: false, describe: 'with --list: print JSON' })
      .option('source', {
        type: 'string',
        describe:
          "a jemalloc source tree or release tarball (e.g. your skynet's 3rd/jemalloc) to build the variants from, as a scenario's `jemalloc:` names it",
      })
      .example('$0 build', 'build what is missing or out of date (what npm install does)')
      .example('$0 build madv-free --force', 'rebuild one variant')
      .example('$0 build --list', 'what is built, with jemalloc version and configure flags')
      .epilogue(
        "Source: $JEMALLOC_SRC (a jemalloc tree or release tarball) if set, else Debian's `jemalloc` source package via apt " +
          '(private apt configuration, cached in native/src-cache/). Builds go to native/build/<name>/ and are rebuilt only when the source or flags change. ' +
          'With --source PATH: builds go to native/build/<name>-<version>-<key8>/ (one per source and recipe); a variant with `jemalloc: PATH` uses them.',
      ),
  handler: async (argv) => {
    const { listBuilds } = await import('../alloc/variants.js');
    const { buildAll } = await import('../native/build-all.js');
    const { listBuildRecords, readBuildRecord } = await import('../native/jemalloc-build.js');
    if (argv.list) {
      const builds: Listed[] = listBuilds().map((b) => ({
        ...b,
        record: b.libPath && b.name !== 'glibc' ? readBuildRecord(b.name) : null,
      }));
      // Builds of other sources (`--source`, or a variant's `jemalloc:`), one per source and recipe.
      for (const rec of listBuildRecords()) {
        if (!rec.recipe || rec.name === rec.recipe) continue;
        builds.push({
          name: rec.name,
          built: true,
          version: rec.fullVersion,
          configureFlags: rec.configureFlags,
          libPath: rec.libPath,
          record: rec,
        });
      }
      if (argv.json) {
        process.stdout.write(JSON.stringify(builds, null, 2) + '\n');
      } else {
        process.stdout.write(formatBuildList(builds));
      }
      return builds.every((b) => b.built) ? ExitCode.ok : ExitCode.runtime;
    }
    const names = (argv.names as string[] | undefined)?.filter(Boolean);
    const res = await buildAll({
      variants: names && names.length ? names : undefined,
      ...(typeof argv.source === 'string' ? { source: argv.source } : {}),
      force: Boolean(argv.force),
      log: (s) => process.stderr.write(`${s}\n`),
    });
    process.stdout.write(
      `built: ${res.built.map((b) => b.name).join(', ') || '(none)'}; up to date: ${res.upToDate.join(', ') || '(none)'}\n`,
    );
    return ExitCode.ok;
  },
};

type Listed = ReturnType<typeof listBuilds>[number] & { record: ReturnType<typeof readBuildRecord> };

export function formatBuildList(builds: Listed[]): string {
  const lines: string[] = [];
  for (const b of builds) {
    lines.push(
      `${(b.name + ' ').padEnd(14)}${b.built ? 'built    ' : 'NOT BUILT'}  ${b.version ?? ''}${b.record?.recipe && b.record.recipe !== b.name ? `  (recipe ${b.record.recipe})` : ''}`,
    );
    if (b.name === 'glibc') {
      lines.push(`${''.padEnd(16)}libc malloc/free in the process; stats from mallinfo2, purge = malloc_trim(0)`);
      continue;
    }
    lines.push(`${''.padEnd(16)}configure ${b.configureFlags.join(' ')}`);
    if (b.record?.configCache.length) lines.push(`${''.padEnd(16)}config.cache: ${b.record.configCache.join(' ')}`);
    if (b.record?.tls)
      lines.push(
        `${''.padEnd(16)}initial-exec TLS dropped by ${b.record.tls === 'je_cv_tls_model=no' ? 'je_cv_tls_model=no in config.cache (configure has no --disable-initial-exec-tls)' : '--disable-initial-exec-tls'}${b.record.loadCheck ? '; load check passed' : ''}`,
      );
    if (b.record?.removedDefines.length)
      lines.push(`${''.padEnd(16)}removed from jemalloc_internal_defs.h: ${b.record.removedDefines.join(', ')}`);
    if (b.record)
      lines.push(
        `${''.padEnd(16)}source: ${b.record.source.path} (sha256 ${b.record.source.hash.slice(0, 12)}), built ${b.record.builtAt} in ${b.record.buildSeconds}s`,
      );
    if (b.libPath) lines.push(`${''.padEnd(16)}${b.libPath}`);
    else lines.push(`${''.padEnd(16)}run \`npm install\` or \`simload build\``);
  }
  return lines.join('\n') + '\n';
}
