// Entry of package.json's `prepare`: builds the shim and the jemalloc variants, a no-op when they are current.
// SIMLOAD_SKIP_NATIVE=1 skips it (e.g. installing only to read reports).
import { SimloadError } from '../errors.js';
import { buildAll } from './build-all.js';

if (process.env['SIMLOAD_SKIP_NATIVE'] === '1') {
  process.stderr.write('simload: SIMLOAD_SKIP_NATIVE=1, native builds skipped\n');
} else {
  try {
    await buildAll({ log: (s) => process.stderr.write(`simload native: ${s}\n`) });
  } catch (err) {
    const msg = err instanceof SimloadError ? `${err.code}: ${err.message}` : String((err as Error)?.stack ?? err);
    process.stderr.write(`simload native build failed: ${msg}\n`);
    process.exitCode = 1;
  }
}
