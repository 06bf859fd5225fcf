// Shared by the report tests: the hand-made run folder and a scratch copy of it (rendering writes into it).
import { cp, mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** test/fixtures/run-basic in the source tree (tests run from dist/test/report/). */
export const FIXTURE_DIR = fileURLToPath(new URL('../../../test/fixtures/run-basic', import.meta.url));
export const MiB = 1024 * 1024;

export async function fixtureCopy(): Promise<string> {
  const dir = join(await mkdtemp(join(tmpdir(), 'simload-report-')), 'run-basic');
  await cp(FIXTURE_DIR, dir, { recursive: true });
  return dir;
}

/** 280 MiB of Rss over 50 MiB allocated, 75 active, 11 metadata, 14 dirty and 140 LazyFree: the fixture's settled sample. */
export const SETTLED_BREAKDOWN = {
  kind: 'jemalloc',
  rss: 280 * MiB,
  live: 50 * MiB,
  fragmentation: 25 * MiB,
  dirty: 14 * MiB,
  metadata: 11 * MiB,
  residentNotActive: null,
  lazyFree: 140 * MiB,
  rest: 40 * MiB,
} as const;
