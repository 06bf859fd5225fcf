// `simload probe` on both jemalloc versions: lazy with MADV_FREE, eager without, 5.0.1 (../shared/vendor)
// and 5.3.0 (the default source) alike. Real builds, real /proc readings, the CLI as a child.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { requireBuilds } from '../alloc/builds.js';
import { simloadCli } from '../helpers/cli.js';
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

// The probes side by side: each is a child process of its own that reads its own /proc and steps its own decay
// for a fixed time; 128 MiB each.
describe('simload probe on both jemalloc versions', { concurrency: true }, () => {
  for (const c of cases) {
    test(
      `probe: ${c.build} on jemalloc ${c.version} purges ${c.verdict}`,
      { skip: c.source ? skip501 : false, timeout: 60_000 },
      async () => {
        const args = [
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
        const r = await simloadCli(args);
        assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`);
        const out = JSON.parse(r.stdout) as { verdict: { purging: string }; libPath: string };
        assert.equal(out.verdict.purging, c.verdict);
        // The library of the build asked for (the version's build folder).
        const dir = c.source ? `${c.build}-${c.version}-` : `${c.build}/`;
        assert.ok(
          out.libPath.includes(`/native/build/${dir}`),
          `${out.libPath} is not a ${c.build} ${c.version} build`,
        );
      },
    );
  }

  test('probe: --jemalloc needs a jemalloc build', async () => {
    const r = await simloadCli(['probe', '--variant', 'glibc', '--jemalloc', VENDOR_501]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /--jemalloc goes with --variant madv-free or --variant no-madv-free/);
  });
});
