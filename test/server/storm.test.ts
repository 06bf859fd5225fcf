// A storm of 5 000 connects and disconnects of every kind: the server survives and gives every byte back.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Client, inBatches, startServer } from './client.js';
import { waitFor } from '../helpers/wait.js';

test('5 000 connects and disconnects: no crash, allocated back at baseline within 1%', async () => {
  const h = await startServer({ logoutFreeDelayMs: 200 });
  try {
    const base = (await h.purge()).alloc.allocated;
    const total = 5000;
    let peakOnline = 0;
    await inBatches(total, 200, async (i) => {
      const c = await Client.open(h.url);
      switch (i % 5) {
        case 0: // polite: login, logout, close
          assert.equal((await c.login(`storm-${i}`))?.t, 'ok');
          assert.equal((await c.logout())?.t, 'ok');
          await c.close();
          break;
        case 1: // logged in, then the connection drops
          assert.equal((await c.login(`storm-${i}`))?.t, 'ok');
          c.ws.terminate();
          await c.closed;
          break;
        case 2: // never logs in
          await c.close();
          break;
        case 3: // leaves while its login is still queued
          c.send({ t: 'login', seq: 1, player: `storm-${i}` });
          c.ws.terminate();
          await c.closed;
          break;
        default: // plays a little, leaves without logout
          assert.equal((await c.login(`storm-${i}`))?.t, 'ok');
          assert.equal((await c.msg())?.t, 'ok');
          assert.equal((await c.msg())?.t, 'ok');
          if (i % 1000 === 4) peakOnline = Math.max(peakOnline, (await h.stats()).online);
          await c.close();
      }
    });
    await waitFor('every player gone and every agent exited', async () => {
      const s = await h.stats();
      return s.online === 0 && s.leaving === 0 && s.services === 0 && s.gate?.connections === 0;
    });
    const end = await h.purge();
    assert.equal(end.counters.connections, total);
    // Four kinds in five send a login; each such player's state is allocated once and leaves once, even when
    // the connection dropped while the login was still queued.
    assert.equal(end.counters.logins, (total * 4) / 5);
    assert.equal(end.counters.logouts, (total * 4) / 5);
    assert.equal(end.counters.errors, 0);
    assert.ok(peakOnline > 0, 'players were online during the storm');
    assert.ok(
      Math.abs(end.alloc.allocated - base) <= 0.01 * base,
      `allocated ${end.alloc.allocated} after the storm, baseline ${base}`,
    );
  } finally {
    await h.stop();
  }
});
