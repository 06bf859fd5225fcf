// `simload serve`: prints a URL real clients can use, stops on Ctrl-C, rejects bad flags with exit 2.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Client } from './client.js';

const BIN = fileURLToPath(new URL('../../../bin/simload.js', import.meta.url));

test('serve: prints the URL, serves a player, stops on SIGINT with exit 0', async () => {
  const p = spawn(process.execPath, [BIN, 'serve', '--variant', 'glibc', '--threads', '2'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  p.stdout.setEncoding('utf8');
  const url = await new Promise<string>((resolve, reject) => {
    p.stdout.on('data', (d: string) => {
      out += d;
      const m = /simload serve: (ws:\/\/127\.0\.0\.1:\d+)/.exec(out);
      if (m) resolve(m[1]!);
    });
    p.once('exit', (code) => reject(new Error(`serve exited ${code}: ${out}`)));
  });
  assert.match(out, /variant glibc: glibc/);
  const serverPid = Number(/pid (\d+)/.exec(out)![1]);
  const c = await Client.open(url);
  assert.equal((await c.login('cli'))?.t, 'ok');
  assert.equal((await c.msg())?.t, 'ok');
  const exited = new Promise<number | null>((resolve) => p.once('exit', (code) => resolve(code)));
  p.kill('SIGINT');
  assert.equal(await exited, 0);
  await c.closed;
  assert.throws(() => process.kill(serverPid, 0), { code: 'ESRCH' });
});

test('serve: unknown variant and bad --stats exit 2 with a message', () => {
  const r = spawnSync(process.execPath, [BIN, 'serve', '--variant', 'nope'], { encoding: 'utf8' });
  assert.equal(r.status, 2);
  assert.match(r.stderr, /--variant nope: not a variant of the config nor a build; choose one of .*madv-free/);
  const s = spawnSync(process.execPath, [BIN, 'serve', '--variant', 'glibc', '--stats', 'often'], { encoding: 'utf8' });
  assert.equal(s.status, 2);
  assert.match(s.stderr, /--stats often: give a duration/);
});
