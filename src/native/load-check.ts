// Child process of the build's load check (loaded by path, never imported): dlopen's a built jemalloc through
// the shim the way the server does, and prints its `version` mallctl as JSON. Exit 1 with the reason otherwise.
// Uses koffi directly: native/ imports nothing of the rest (alloc/ wraps the same functions).
import koffi from 'koffi';
import { shimLib } from './paths.js';

const lib = process.argv[2];
if (!lib) {
  process.stderr.write('usage: load-check.js LIBRARY\n');
  process.exit(2);
}
const shim = koffi.load(shimLib);
const init = shim.func('int sl_init(const char *lib, const char *prefix, int need_mallctl)');
const lastError = shim.func('const char *sl_last_error(void)');
const opts = shim.func('int sl_opts(double *out, char *version, int len)');
const malloc = shim.func('double sl_malloc(double size)');
const free = shim.func('int sl_free(double h)');

const rc = init(lib, 'je_', 1) as number;
if (rc !== 0) {
  process.stderr.write(`load failed (shim ${rc}): ${lastError() as string}\n`);
  process.exit(1);
}
const h = malloc(4096) as number;
if (h < 0 || (free(h) as number) !== 0) {
  process.stderr.write(`loaded, but malloc/free through it failed (${h})\n`);
  process.exit(1);
}
const out = new Float64Array(4);
const ver = Buffer.alloc(256);
if ((opts(out, ver, ver.length) as number) !== 0) {
  process.stderr.write(`loaded, but mallctl failed: ${lastError() as string}\n`);
  process.exit(1);
}
process.stdout.write(JSON.stringify({ version: ver.toString('utf8', 0, ver.indexOf(0)) }) + '\n');
