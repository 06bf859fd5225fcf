// `--metrics [host:]port` and `--live [host:]port`: where a live output listens. Loopback unless a host is
// written out: an empty host (`:9464`, which Go tools and Prometheus read as "every interface") is refused,
// so nothing is exposed beyond this machine by accident. Pure.

import { isIP } from 'node:net';
import { UsageError } from '../errors.js';

export interface ListenAddress {
  host: string;
  /** 0 = any free port. */
  port: number;
  /** True when the host is not a loopback address: reachable from other hosts (the caller says so). */
  exposed: boolean;
}

export const DEFAULT_LIVE_HOST = '127.0.0.1';

const LOOPBACK = /^(127\.\d{1,3}\.\d{1,3}\.\d{1,3}|::1|localhost)$/i;

export function isLoopback(host: string): boolean {
  return LOOPBACK.test(host);
}

/** `9464`, `127.0.0.1:9464`, `[::1]:9464`, `0.0.0.0:9464`; `flag` names the option in messages. */
export function parseListenAddress(flag: string, text: string): ListenAddress {
  const bad = (why: string) => new UsageError('ERR_USAGE', `--${flag} ${JSON.stringify(text)}: ${why}`);
  const t = text.trim();
  if (t === '') throw bad('give a port, or host:port, e.g. 9464 or 127.0.0.1:9464');
  let host = DEFAULT_LIVE_HOST;
  let portText = t;
  const v6 = /^\[([^\]]*)\]:(.*)$/.exec(t);
  if (v6) {
    host = v6[1]!;
    portText = v6[2]!;
  } else if (t.includes(':')) {
    const i = t.lastIndexOf(':');
    host = t.slice(0, i);
    portText = t.slice(i + 1);
    if (host.includes(':')) throw bad('write an IPv6 host in brackets, e.g. [::1]:9464');
  }
  if (host === '')
    throw bad(
      `no host before the port: write it out (${DEFAULT_LIVE_HOST}:${portText} for this machine only, 0.0.0.0:${portText} to listen on every interface)`,
    );
  if (!/^\d+$/.test(portText)) throw bad('the port is not a number');
  const port = Number(portText);
  if (port > 65535) throw bad('the port is above 65535');
  if (host.toLowerCase() !== 'localhost' && isIP(host) === 0) throw bad(`${host} is not an IP address (or localhost)`);
  return { host: host.toLowerCase() === 'localhost' ? DEFAULT_LIVE_HOST : host, port, exposed: !isLoopback(host) };
}

/** `http://host:port` for a bound address (IPv6 in brackets). */
export function httpUrl(host: string, port: number, path = '/'): string {
  return `http://${host.includes(':') ? `[${host}]` : host}:${port}${path}`;
}
