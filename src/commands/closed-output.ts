// `simload run ... | head -2`: the reader goes away and the next write to stdout fails with EPIPE. Unhandled,
// that error ended a measurement 0.2 s in (exit 1, run.json `failed` with no reason). A closed stdout or stderr
// is not the run's business: writes to it are dropped from then on, the other stream says so once, and the
// command goes on to write its results and exit with its own verdict.

const GONE = new Set(['EPIPE', 'ERR_STREAM_DESTROYED', 'ECONNRESET']);

/** Process-wide, as the streams are: installed once however often main() runs. */
let installed = false;

export function keepGoingWhenOutputCloses(): void {
  if (installed) return;
  installed = true;
  const closed = new Set<NodeJS.WriteStream>();
  const streams: Array<[NodeJS.WriteStream, string, NodeJS.WriteStream]> = [
    [process.stdout, 'stdout', process.stderr],
    [process.stderr, 'stderr', process.stdout],
  ];
  for (const [stream, name, other] of streams) {
    stream.on('error', (err: NodeJS.ErrnoException) => {
      if (!GONE.has(err.code ?? '')) throw err;
      if (closed.has(stream)) return;
      closed.add(stream);
      if (!closed.has(other))
        other.write(
          `simload: ${name} was closed (${err.code}); going on without it: results are written to the run folder as usual\n`,
        );
    });
  }
}
