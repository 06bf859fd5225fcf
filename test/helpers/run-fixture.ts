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
