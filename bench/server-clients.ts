// Worker entry for bench/server.ts (loaded by path): closed-loop clients, one request in flight per
// connection, counting round trips over a fixed window after a warm-up.

import { parentPort, workerData } from 'node:worker_threads';
import WebSocket from 'ws';
import { nameThisThread } from '../src/server/thread-name.js';
import { BOT_THREAD_NAME } from '../src/server/threads.js';

export interface ClientsInit {
  url: string;
  connections: number;
  warmupMs: number;
  measureMs: number;
  /** Log in first (the simulated server); the echo server needs no login. */
  login: boolean;
  prefix: string;
}
/** Posted when the measured window opens and closes (the bench reads per-thread CPU then), then the result. */
export type ClientsEvent = { type: 'window'; open: boolean } | ({ type: 'result' } & ClientsResult);
export interface ClientsResult {
  roundTrips: number;
  ms: number;
  errors: number;
}

const init = workerData as ClientsInit;
nameThisThread(BOT_THREAD_NAME);
let counting = false;
let roundTrips = 0;
let errors = 0;
let running = true;
const sockets: WebSocket[] = [];

async function connect(i: number): Promise<void> {
  const ws = new WebSocket(init.url, { perMessageDeflate: false });
  sockets.push(ws);
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  let seq = 0;
  if (init.login) {
    ws.send(JSON.stringify({ t: 'login', seq: ++seq, player: `${init.prefix}-${i}` }));
    await new Promise<void>((resolve) => ws.once('message', () => resolve()));
  }
  const frame = (): string => JSON.stringify({ t: 'msg', seq: ++seq, kind: 'move' });
  ws.on('message', (data) => {
    if (String(data).includes('"err"')) errors++;
    if (counting) roundTrips++;
    if (running) ws.send(frame());
  });
  ws.send(frame());
}

await Promise.all(Array.from({ length: init.connections }, (_, i) => connect(i)));
await new Promise((r) => setTimeout(r, init.warmupMs));
parentPort!.postMessage({ type: 'window', open: true } satisfies ClientsEvent);
counting = true;
const t0 = performance.now();
await new Promise((r) => setTimeout(r, init.measureMs));
counting = false;
const ms = performance.now() - t0;
parentPort!.postMessage({ type: 'window', open: false } satisfies ClientsEvent);
running = false;
for (const ws of sockets) ws.close();
await new Promise((r) => setTimeout(r, 200));
parentPort!.postMessage({ type: 'result', roundTrips, ms, errors } satisfies ClientsEvent);
