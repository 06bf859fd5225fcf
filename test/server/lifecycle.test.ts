// The server process's life: it starts or fails with a clear code, stops cleanly on SIGTERM or `stop`, and
// never outlives its parent. Leaves no process and no port behind.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { launchServer } from '../../src/server/launch.js';
import { CloseCode } from '../../src/server/protocol.js';
import { Client, serverOptions, startServer } from './client.js';
import { waitFor } from '../helpers/wait.js';

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createServer();
    s.once('error', () => resolve(false));
    s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
  });
}

test('SIGTERM: clients get 1001, the process exits 0, the port is free', async () => {
  const h = await startServer();
  const c = await Client.open(h.url);
  assert.equal((await c.login('bye'))?.t, 'ok');
  process.kill(h.pid, 'SIGTERM');
  // Exit 0 only when the graceful path finished (workers terminated, gate closed); a stuck stop exits 3.
  assert.deepEqual(await h.exited, { code: 0, signal: null });
  assert.equal((await c.closed).code, CloseCode.goingAway);
  assert.equal(alive(h.pid), false);
  assert.equal(await portFree(h.port), true);
  await assert.rejects(h.stats(), { code: 'ERR_SERVER_GONE' });
  await h.stop(); // idempotent after exit
});

test('stop() over the control channel is graceful and idempotent; the handle says its state', async () => {
  const h = await startServer();
  assert.equal(h.state(), 'ready');
  const stops = Promise.all([h.stop(), h.stop()]);
  assert.equal(h.state(), 'stopping');
  await stops;
  assert.deepEqual(await h.exited, { code: 0, signal: null });
  assert.equal(h.state(), 'gone');
  assert.equal(alive(h.pid), false);
  await assert.rejects(h.stats(), { code: 'ERR_SERVER_GONE' });
});

test('the server exits when its parent dies', async () => {
  const launch = fileURLToPath(new URL('../../src/server/launch.js', import.meta.url));
  const script = `
    const { launchServer, defaultServerOptions } = await import(${JSON.stringify(launch)});
    const h = await launchServer({ options: defaultServerOptions(), variant: { name: 'madv-free', build: 'madv-free' } });
    process.stdout.write(h.pid + '\\n');
    setInterval(() => {}, 1000);`;
  const parent = spawn(process.execPath, ['--input-type=module', '-e', script], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const pid = await new Promise<number>((resolve, reject) => {
    parent.stdout.once('data', (d: Buffer) => resolve(Number(String(d).trim())));
    parent.once('exit', (code) => reject(new Error(`parent exited ${code} before the server started`)));
  });
  assert.ok(alive(pid));
  parent.kill('SIGKILL');
  await waitFor(`server ${pid} to exit after its parent died`, async () => !alive(pid), 10_000);
});

test('start failures reject with a stable code and leave no process', async () => {
  await assert.rejects(launchServer({ options: serverOptions(), variant: { name: 'x', build: 'no-such-build' } }), {
    code: 'ERR_UNKNOWN_BUILD',
  });
  await assert.rejects(
    launchServer({
      options: serverOptions({ threads: 0, host: '0.0.0.0' }),
      variant: { name: 'glibc', build: 'glibc' },
    }),
    (err: Error & { code?: string }) => {
      assert.equal(err.code, 'ERR_SERVER_OPTIONS');
      assert.match(err.message, /threads: must be an integer from 1 to 64, got 0/);
      assert.match(err.message, /host: simload only serves on loopback/);
      return true;
    },
  );
  const first = await startServer();
  try {
    await assert.rejects(startServer({ port: first.port }), (err: Error & { code?: string }) => {
      assert.equal(err.code, 'ERR_PORT_IN_USE');
      assert.match(err.message, new RegExp(`port ${first.port} on 127.0.0.1 is already in use`));
      return true;
    });
  } finally {
    await first.stop();
  }
});
