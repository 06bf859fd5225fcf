// The control channel to a server process that dies: requests sent between its death and its exit being seen
// fail as ERR_SERVER_GONE; the write errors (EPIPE, a closed IPC channel) never surface as 'error' events on the
// child, which would end simload with an unhandled error. A real child process, killed with SIGKILL.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { setImmediate as tick } from 'node:timers/promises';
import { SimloadError } from '../../src/errors.js';
import { ControlClient } from '../../src/server/control-client.js';

test(
  'requests to a process killed before its exit is seen fail as ERR_SERVER_GONE, with no error event',
  { timeout: 30_000 },
  async () => {
    for (let round = 0; round < 5; round++) {
      const child = spawn(
        process.execPath,
        ['-e', "process.on('message', () => {}); process.send('ready'); setInterval(() => {}, 1000)"],
        { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] },
      );
      await once(child, 'message');
      const errors: Error[] = [];
      child.on('error', (e) => errors.push(e));
      const client = new ControlClient(child, (m) => m);
      const exited = once(child, 'exit').then(([code, signal]) =>
        client.gone(code as number | null, signal as string | null),
      );
      let done = false;
      void exited.then(() => (done = true));
      child.kill('SIGKILL');
      const results: Array<Promise<string>> = [];
      // Keep asking until the exit is seen (at most 200 times): the writes in between go to a process that no
      // longer reads.
      while (!done && results.length < 200) {
        results.push(
          client.request('stats', 2000).then(
            () => 'answered',
            (e: unknown) => (e instanceof SimloadError ? e.code : String(e)),
          ),
        );
        await tick();
      }
      await exited;
      const codes = await Promise.all(results);
      assert.ok(codes.length > 0);
      assert.deepEqual([...new Set(codes)], ['ERR_SERVER_GONE'], `round ${round}: ${codes.join(', ')}`);
      assert.deepEqual(
        errors.map((e) => e.message),
        [],
        `round ${round}: error events on the child`,
      );
      await assert.rejects(
        client.request('stats', 100),
        (e: unknown) => e instanceof SimloadError && e.code === 'ERR_SERVER_GONE',
      );
    }
  },
);
