// Binding and closing the live outputs' HTTP servers. A port that cannot be had is bad input (exit 2), found
// before the run starts, so no run is wasted on an endpoint that never came up.

import type { Server } from 'node:http';
import { UsageError } from '../errors.js';
import type { ListenAddress } from './address.js';

/** Listens on `addr`; resolves to the bound port. */
export function listen(server: Server, addr: ListenAddress, flag: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException) => {
      server.off('listening', onListening);
      const why =
        err.code === 'EADDRINUSE'
          ? 'the port is in use'
          : err.code === 'EADDRNOTAVAIL'
            ? 'no interface of this machine has that address'
            : err.code === 'EACCES'
              ? 'not allowed to listen there'
              : err.message;
      reject(new UsageError('ERR_LISTEN', `--${flag} ${addr.host}:${addr.port}: ${why}`, { cause: err }));
    };
    const onListening = () => {
      server.off('error', onError);
      const a = server.address();
      resolve(typeof a === 'object' && a ? a.port : addr.port);
    };
    server.once('error', onError);
    server.once('listening', onListening);
    server.listen({ host: addr.host, port: addr.port, exclusive: true });
  });
}

/** Stops listening and ends open connections (an event stream never ends on its own). */
export function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    if (!server.listening) return resolve();
    server.close(() => resolve());
    server.closeAllConnections();
  });
}
