// `simload watch --pid PID | --cmd "..."`: records a real running process (a production skynet, say) into a
// run folder of the same format as a run's, so report, compare and expect: work on it. docs/watch.md.
import { ExitCode, UsageError } from '../errors.js';
import type { ExpectRule } from '../scenario/types.js';
import { parseDuration } from '../units.js';
import type { SimloadCommand } from './command.js';
import { liveOption, metricsOption, startLiveOutputs } from './live-flags.js';

function duration(flag: string, v: unknown, minMs: number): number | null {
  if (v === undefined) return null;
  const ms = parseDuration(String(v));
  if (ms === null || ms < minMs)
    throw new UsageError('ERR_USAGE', `--${flag} ${String(v)}: give a duration of at least ${minMs}ms, e.g. 1s, 10m`);
  return ms;
}

export const watchCommand: SimloadCommand = {
  command: 'watch',
  describe:
    'Record a running process (e.g. your skynet server) into a run folder: Rss, LazyFree, jemalloc stats, report',
  builder: (y) =>
    liveOption(metricsOption(y))
      .option('pid', { type: 'number', describe: 'the process to watch' })
      .option('cmd', { type: 'string', describe: 'start this command (run as `exec CMD` by /bin/sh) and watch it' })
      .option('interval', { type: 'string', default: '1s', describe: 'time between samples (at least 100ms)' })
      .option('duration', {
        type: 'string',
        describe: 'stop after this long (default: until Ctrl-C or the process exits)',
      })
      .option('out', { type: 'string', default: 'results', describe: 'base folder of the run folder' })
      .option('name', {
        type: 'string',
        describe: "name of the folder and of the variant (default: the process's name)",
      })
      .option('skynet-console', {
        type: 'string',
        describe: 'a skynet debug console to read jmem, mem, cmem and list from, HOST:PORT (read-only)',
      })
      .option('skynet-inject', {
        type: 'boolean',
        default: false,
        describe:
          "also run a read-only Lua snippet in the server through the console's inject, for pdirty/pmuzzy/decay (runs code in the server)",
      })
      .option('skynet-mem', {
        type: 'string',
        default: '10s',
        describe:
          'least time between two per-service reads (`mem`: Lua memory, it asks every service; `cmem` and `list`: C memory, exited services), or `off`',
      })
      .option('skynet-top', {
        type: 'number',
        default: 10,
        describe: 'services kept by name per sample in each per-service list (the rest is summed)',
      })
      .option('online-cmd', {
        type: 'string',
        describe: 'a shell command printing the online player count, run each sample',
      })
      .option('keep-full', {
        type: 'string',
        default: '24h',
        describe:
          'samples older than this leave samples.ndjson for samples-older.ndjson.gz, downsampled (`off`: keep all at full resolution)',
      })
      .option('downsample', {
        type: 'string',
        default: '1m',
        describe:
          'older samples keep, per this period, the highest and lowest Rss, phase starts, the last service reading and the last sample',
      })
      .option('resume', {
        type: 'string',
        describe:
          'append to this watch folder (after a crash or a restart); without a folder, the newest OUT/NAME-* one',
      })
      .option('expect', {
        type: 'string',
        array: true,
        describe:
          'a threshold as in a scenario\'s expect:, e.g. "retention < 0.5" (repeatable; checked when a --duration watch completes)',
      })
      .check((a) => {
        if ((a.pid === undefined) === (a.cmd === undefined))
          throw new UsageError('ERR_USAGE', 'give exactly one of --pid PID and --cmd "COMMAND"');
        if (a['skynet-inject'] && a['skynet-console'] === undefined)
          throw new UsageError('ERR_USAGE', '--skynet-inject needs --skynet-console HOST:PORT');
        const top = a['skynet-top'];
        if (!Number.isInteger(top) || (top as number) < 1 || (top as number) > 1000)
          throw new UsageError('ERR_USAGE', `--skynet-top ${String(top)}: give a whole number from 1 to 1000`);
        return true;
      })
      .example(
        '$0 watch --pid 12345 --skynet-console 127.0.0.1:8000',
        'a running skynet: /proc and its jemalloc stats every second',
      )
      .example('$0 watch --cmd "./skynet config" --duration 10m', 'start a server and watch it for ten minutes')
      .example('$0 watch --pid 12345 --metrics 9464 --live 8080', 'the same samples for Prometheus and on a live page')
      .example(
        '$0 watch --pid 12345 --name game1 --resume',
        'go on in the newest results/game1-* folder (e.g. restarted by systemd)',
      )
      .epilogue(
        [
          'Type a word + Enter while it runs to mark a phase: up, peak, down, quiet (or any word); docs/watch.md.',
          'Exit: 0 ok, 1 an --expect threshold failed, 2 bad flags or pid, 3 the process exited, 130 interrupted.',
        ].join('\n'),
      ),
  handler: async (argv) => {
    // The signals first: a Ctrl-C while the code loads or --live starts ends as one during the watch does.
    const { withInterrupt } = await import('../run/interrupt.js');
    return withInterrupt((signal) => watch(argv, signal));
  },
};

/** The watch the flags ask for, once the signals are handled. */
async function watch(argv: Record<string, unknown>, signal: AbortSignal): Promise<number> {
  const { interruptedError } = await import('../run/interrupt.js');
  const { parseExpectRule } = await import('../scenario/expect.js');
  const { parseConsoleAddress } = await import('../watch/console.js');
  const { runWatch } = await import('../watch/run-watch.js');
  const intervalMs = duration('interval', argv.interval, 100)!;
  const durationMs = duration('duration', argv.duration, 100);
  const expect: ExpectRule[] = [];
  for (const text of (argv.expect as string[] | undefined) ?? []) {
    const r = parseExpectRule(text, null);
    if ('error' in r) throw new UsageError('ERR_USAGE', `--expect ${JSON.stringify(text)}: ${r.error}`);
    expect.push(r);
  }
  const pid = argv.pid === undefined ? null : Number(argv.pid);
  if (pid !== null && (!Number.isInteger(pid) || pid <= 0))
    throw new UsageError('ERR_NO_PROC', `--pid ${String(argv.pid)}: not a process id`);
  const keepFull = argv['keep-full'] === 'off' ? null : duration('keep-full', argv['keep-full'], 1000)!;
  const periodMs = duration('downsample', argv.downsample, 100)!;
  if (keepFull !== null && periodMs < intervalMs)
    throw new UsageError(
      'ERR_USAGE',
      `--downsample ${String(argv.downsample)}: give at least the --interval (${String(argv.interval)})`,
    );
  if (keepFull !== null && periodMs > keepFull)
    throw new UsageError(
      'ERR_USAGE',
      `--downsample ${String(argv.downsample)}: give at most --keep-full (${String(argv['keep-full'])})`,
    );
  const consoleAddr = typeof argv['skynet-console'] === 'string' ? parseConsoleAddress(argv['skynet-console']) : null;
  const live = await startLiveOutputs(argv, (line) => process.stderr.write(`simload watch: ${line}\n`));
  try {
    // Interrupted before the watch began: no folder, no command started.
    if (signal.aborted) throw interruptedError(signal, 'before the watch began, nothing was recorded');
    const code = await runWatch({
      live,
      pid,
      cmd: typeof argv.cmd === 'string' ? argv.cmd : null,
      name: typeof argv.name === 'string' ? argv.name : null,
      outDir: String(argv.out),
      intervalMs,
      durationMs,
      console: consoleAddr,
      inject: Boolean(argv['skynet-inject']),
      topServices: Number(argv['skynet-top']),
      memIntervalMs:
        argv['skynet-mem'] === 'off'
          ? null
          : argv['skynet-mem'] === '0'
            ? 0
            : duration('skynet-mem', argv['skynet-mem'], 0),
      onlineCmd: typeof argv['online-cmd'] === 'string' ? argv['online-cmd'] : null,
      expect,
      retention: keepFull === null ? null : { fullMs: keepFull, periodMs },
      resume: typeof argv.resume === 'string' ? argv.resume : null,
      out: process.stdout,
      signal,
    });
    return code ?? ExitCode.ok;
  } finally {
    await live?.close();
  }
}
