// `simload run ... 2>&1 | head -2`: the reader of the output goes away early. The measurement goes on to its end, the
// run folder is complete and the exit is the run's own verdict, not the threshold-failed code of an EPIPE.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { RunMeta } from '../../src/results/layout.js';
import { tinyScenarioFile } from './fixtures.js';

const CLI = join(process.cwd(), 'bin', 'simload.js');

test(
  'stdout and stderr closed by their reader early: the run completes, writes its folder and exits with its verdict',
  { timeout: 120_000 },
  async () => {
    const { dir, file } = await tinyScenarioFile();
    const base = join(dir, 'results');
    const child = spawn(process.execPath, [CLI, 'run', file, '--out', base], { stdio: ['ignore', 'pipe', 'pipe'] });
    // `2>&1 | head -2`: the progress lines (stderr) come first; after them the reader of both streams is gone
    let lines = 0;
    child.stderr.on('data', (d: Buffer) => {
      lines += String(d).split('\n').length - 1;
      if (lines >= 2) {
        child.stderr.destroy();
        child.stdout.destroy();
      }
    });
    const code = await new Promise<number | null>((r) => child.on('exit', (c) => r(c)));
    const stderr = '(closed)';
    const folder = join(
      base,
      readdirSync(base).find((n) => n.startsWith('tiny-'))!,
    );
    const meta = JSON.parse(readFileSync(join(folder, 'run.json'), 'utf8')) as RunMeta;
    assert.equal(meta.status, 'complete', stderr);
    assert.ok(
      code === 0 || code === 4,
      `exit ${code}: the run's verdict (0, or 4 when a busy machine did not deliver the load); stderr:\n${stderr}`,
    );
    assert.equal(meta.validity?.valid, code === 0);
    for (const f of ['summary.json', 'report.html', 'samples.ndjson']) assert.ok(existsSync(join(folder, f)), f);
  },
);
