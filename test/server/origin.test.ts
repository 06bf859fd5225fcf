// The gate checks the WebSocket Origin: a page from elsewhere in a local browser (which always sends one) is
// refused with 403 before the upgrade; the bots' origin, a configured one and clients without one get in.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import WebSocket from 'ws';
import { BOT_ORIGIN } from '../../src/server/defaults.js';
import { startServer, VARIANTS } from './client.js';

function opens(url: string, origin: string | undefined): Promise<number | 'open'> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { perMessageDeflate: false, ...(origin ? { origin } : {}) });
    ws.once('open', () => {
      ws.close();
      resolve('open');
    });
    ws.once('unexpected-response', (_req, res) => {
      resolve(res.statusCode ?? 0);
      ws.terminate();
    });
    ws.once('error', (err) => (err.message.includes('Unexpected server response') ? undefined : reject(err)));
  });
}

test(
  'Origin: foreign pages get 403; bots, configured origins and origin-less clients connect',
  { timeout: 60_000 },
  async () => {
    const h = await startServer(
      { threads: 1, allowedOrigins: [BOT_ORIGIN, 'https://ops.example:8443'] },
      VARIANTS.glibc,
    );
    try {
      assert.equal(await opens(h.url, 'http://evil.example'), 403);
      assert.equal(await opens(h.url, 'http://localhost:3000'), 403);
      assert.equal(await opens(h.url, BOT_ORIGIN), 'open');
      assert.equal(await opens(h.url, 'https://ops.example:8443'), 'open');
      assert.equal(await opens(h.url, undefined), 'open');
    } finally {
      await h.stop();
    }
    // The default list holds only the bots' origin.
    const d = await startServer({ threads: 1 }, VARIANTS.glibc);
    try {
      assert.equal(await opens(d.url, 'https://ops.example:8443'), 403);
      assert.equal(await opens(d.url, BOT_ORIGIN), 'open');
    } finally {
      await d.stop();
    }
  },
);
