// Server process entry, forked by launch.ts (by path) with an IPC channel as the control channel. The
// allocator's environment (JE_MALLOC_CONF, LD_PRELOAD, ...) is already in process.env: launch.ts put it
// there at fork time, before anything could load the library.

import type { ControlReply, ControlRequest, ServerEvent, ServerStart } from './control.js';
import { SimServer } from './server.js';

/** Longest a graceful stop may take before the process exits anyway. */
const STOP_TIMEOUT_MS = 5000;

if (!process.send) {
  process.stderr.write('simload server: this file is started by launchServer (server/launch.ts) with an IPC channel\n');
  process.exit(2);
}

let server: SimServer | null = null;
let starting = false;
let exiting = false;

function send(m: ServerEvent | ControlReply): Promise<void> {
  return new Promise((resolve) => {
    if (!process.connected) return resolve();
    process.send!(m, undefined, {}, () => resolve());
  });
}

async function exit(code: number): Promise<void> {
  if (exiting) return;
  exiting = true;
  const force = setTimeout(() => {
    process.stderr.write(`simload server: stop took longer than ${STOP_TIMEOUT_MS} ms; exiting anyway\n`);
    process.exit(3);
  }, STOP_TIMEOUT_MS);
  force.unref();
  try {
    await server?.stop();
  } catch (err) {
    process.stderr.write(`simload server: stop failed: ${(err as Error).message}\n`);
  }
  if (process.connected) process.disconnect();
  process.exit(code);
}

async function fatal(code: string, message: string): Promise<void> {
  process.stderr.write(`simload server: ${message}\n`);
  await send({ type: 'fatal', code, message });
  await exit(3);
}

async function start(m: ServerStart): Promise<void> {
  if (starting) return;
  starting = true;
  try {
    server = await SimServer.start(m.options, m.variant, (code, message) => void fatal(code, message));
  } catch (err) {
    const e = err as { code?: string; message?: string };
    await send({ type: 'fatal', code: e.code ?? 'ERR_SERVER_START', message: e.message ?? String(err) });
    await exit(3);
    return;
  }
  if (exiting) return;
  await send({ type: 'ready', url: server.url, port: server.port, pid: process.pid, alloc: server.alloc.info });
}

function control(req: ControlRequest): void {
  const { id } = req;
  if (!server) {
    void send({ id, ok: false, code: 'ERR_NOT_STARTED', message: 'the server has not started yet' });
    return;
  }
  try {
    switch (req.op) {
      case 'stats':
        void send({ id, ok: true, op: 'stats', stats: server.stats() });
        return;
      case 'purge':
        server.purge().then(
          (stats) => send({ id, ok: true, op: 'purge', stats }),
          (err: { code?: string; message?: string }) =>
            send({ id, ok: false, code: err.code ?? 'ERR_PURGE', message: err.message ?? String(err) }),
        );
        return;
      case 'services':
        void send({ id, ok: true, op: 'services', services: server.services() });
        return;
      case 'stop':
        void send({ id, ok: true, op: 'stop' }).then(() => exit(0));
        return;
      default:
        void send({
          id,
          ok: false,
          code: 'ERR_BAD_CONTROL',
          message: `unknown control op ${JSON.stringify((req as { op?: unknown }).op)}`,
        });
    }
  } catch (err) {
    const e = err as { code?: string; message?: string };
    void send({ id, ok: false, code: e.code ?? 'ERR_CONTROL', message: e.message ?? String(err) });
  }
}

process.on('message', (m: ServerStart | ControlRequest) => {
  if (exiting) return;
  if ((m as ServerStart).type === 'start') void start(m as ServerStart);
  else if (typeof (m as ControlRequest).id === 'number') control(m as ControlRequest);
});
process.on('SIGTERM', () => void exit(0));
process.on('SIGINT', () => void exit(0));
// The parent died or let go of us: never linger as an orphan holding a port and gigabytes.
process.on('disconnect', () => void exit(0));
process.on('uncaughtException', (err) => void fatal('ERR_SERVER_CRASH', `crashed: ${err.stack ?? err.message}`));
