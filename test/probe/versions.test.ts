// `simload probe` on both jemalloc versions: lazy with MADV_FREE, eager without, 5.0.1 (../shared/vendor)
// and 5.3.0 (the default source) alike. Real builds, real /proc readings, the CLI as a child.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { BIN, requireBuilds } from '../alloc/builds.js';
import { needsVendor, require501, VENDOR_501 } from '../native/vendor.js';

requireBuilds('madv-free', 'no-madv-free');
require501();
const skip501 = needsVendor('jemalloc-5.0.1');

const cases = [
  { build: 'madv-free', source: VENDOR_501, version: '5.0.1', verdict: 'lazy' },
  { build: 'no-madv-free', source: VENDOR_501, version: '5.0.1', verdict: 'eager' },
  { build: 'madv-free', source: null, version: '5.3.0', verdict: 'lazy' },
  { build: 'no-madv-free', source: null, version: '5.3.0', verdict: 'eager' },
];

for (const c of cases) {
  test(
    `probe: ${c.build} on jemalloc ${c.version} purges ${c.verdict}`,
    { skip: c.source ? skip501 : false, timeout: 60_000 },
    () => {
      const args = [
        BIN,
        'probe',
        '--variant',
        c.build,
        ...(c.source ? ['--jemalloc', c.source] : []),
        '--size',
        '128MiB',
        '--json',
        '--expect',
        c.verdict,
      ];
      const r = spawnSync(process.execPath, args, { encoding: 'utf8' });
      assert.equal(r.status, 0, `${r.stdout}\n${r.stderr}`);
      const out = JSON.parse(r.stdout) as { verdict: { purging: string }; libPath: string };
      assert.equal(out.verdict.purging, c.verdict);
      // The library of the build asked for (the version's build folder).
      const dir = c.source ? `${c.build}-${c.version}-` : `${c.build}/`;
      assert.ok(out.libPath.includes(`/native/build/${dir}`), `${out.libPath} is not a ${c.build} ${c.version} build`);
    },
  );
}

test('probe: --jemalloc needs a jemalloc build', () => {
  const r = spawnSync(process.execPath, [BIN, 'probe', '--variant', 'glibc', '--jemalloc', VENDOR_501], {
    encoding: 'utf8',
  });
  assert.equal(r.status, 2);
  assert.match(r.stderr, /--jemalloc goes with --variant madv-free or --variant no-madv-free/);
});
