// `npm run bench:alloc`: ns per allocate+free through the bridge (one FFI call per operation, and batched
// through the shim) beside the same loops in C against the same library, compiled now with cc. Goal: batched
// within 3x of C per object. Usage: node dist/bench/alloc.js [build] (default madv-free; glibc works too).
import { execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { Allocator } from '../src/alloc/allocator.js';
import { buildDir, nativeDir } from '../src/native/paths.js';

const build = process.argv[2] ?? 'madv-free';
const SIZE = 64;
const PAIRS = 1_000_000;
const BATCH = 1024;
const ROUNDS = 2000;

const a = Allocator.load({ name: build, build });
const lib = a.info.libPath;

function time(fn: () => void, ops: number): number {
  const t0 = process.hrtime.bigint();
  fn();
  return Number(process.hrtime.bigint() - t0) / ops;
}

// Bridge, one call per operation.
const perCall = () => {
  for (let i = 0; i < PAIRS; i++) a.free(a.malloc(SIZE));
};
// Bridge, batched: a set of BATCH objects allocated and written in one call, freed in one call.
const sizes = new Uint32Array(BATCH).fill(SIZE);
const batched = () => {
  for (let r = 0; r < ROUNDS; r++) a.freeSet(a.allocSet(sizes));
};
const churned = () => {
  for (let r = 0; r < ROUNDS; r++) a.churn(sizes);
};
time(perCall, 1);
time(batched, 1);
const bridgeCall = time(perCall, PAIRS);
const bridgeBatch = time(batched, ROUNDS * BATCH);
const bridgeChurn = time(churned, ROUNDS * BATCH);

// C, same library, same resolution (dlopen + prefix), separate process.
const outDir = join(buildDir, 'bench');
mkdirSync(outDir, { recursive: true });
const exe = join(outDir, 'bench_alloc');
execFileSync(process.env['CC'] || 'cc', ['-O2', '-o', exe, join(nativeDir, 'bench_alloc.c'), '-ldl', '-lpthread'], {
  stdio: 'inherit',
});
const c = JSON.parse(
  execFileSync(
    exe,
    [lib ?? '-', a.info.prefix || 'none', String(SIZE), String(PAIRS * 5), String(BATCH), String(ROUNDS)],
    { encoding: 'utf8' },
  ),
) as { plainNs: number; batchedNs: number };

const rows: Array<[string, number, number]> = [
  ['per call: malloc + free (2 FFI calls)', bridgeCall, c.plainNs],
  [`batched: allocSet(${BATCH} x ${SIZE} B, written) + freeSet`, bridgeBatch, c.batchedNs],
  [`batched: churn(${BATCH} x ${SIZE} B, written)`, bridgeChurn, c.batchedNs],
];
process.stdout.write(`bench:alloc  ${build} (${a.info.version ?? ''}) ${lib ?? 'libc'}\n`);
process.stdout.write(
  `${'ns per object (allocate + free)'.padEnd(48)}${'bridge'.padStart(10)}${'C'.padStart(10)}${'ratio'.padStart(9)}\n`,
);
for (const [label, js, cn] of rows) {
  process.stdout.write(
    `${label.padEnd(48)}${js.toFixed(1).padStart(10)}${cn.toFixed(1).padStart(10)}${(js / cn).toFixed(2).padStart(8)}x\n`,
  );
}
const ratio = bridgeBatch / c.batchedNs;
process.stdout.write(
  `goal: batched within 3x of C per object -> ${ratio.toFixed(2)}x ${ratio <= 3 ? 'met' : 'NOT met'}\n`,
);
