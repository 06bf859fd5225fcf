// The gate's WebSocket protocol: JSON text frames, one message per frame. Shared by the server and the bots.
// docs/server.md's "Protocol" section documents it; change both together.
//
// Multiplexed connections (`?mux=1` on the gate's URL): every client frame carries `ch`, a channel number
// naming one player session on the connection, and every reply carries the channel it answers.

/** Client -> server. `seq` is echoed in the reply so clients can time round trips; `ch` only on a mux connection. */
export type ClientMessage =
  | { t: 'login'; seq: number; player: string; ch?: number }
  | { t: 'msg'; seq: number; kind?: string; body?: string; ch?: number }
  | { t: 'logout'; seq: number; ch?: number };

/** Server -> client. On a mux connection every reply has `ch` (null when the frame had no valid channel). */
export type ServerMessage =
  | { t: 'ok'; seq: number; op: 'login' | 'msg' | 'logout'; ch?: number }
  | { t: 'err'; seq: number | null; code: ErrorCode; message: string; ch?: number | null };

/**
 * A reply's JSON text. `ok` replies, nearly all of them, are written from a template, which costs a fraction of
 * JSON.stringify on the gate thread; the text is the same (seq is a finite number, frames.ts refuses others).
 */
export function serverText(m: ServerMessage): string {
  if (m.t === 'ok' && m.ch === undefined && Number.isFinite(m.seq)) return `{"t":"ok","seq":${m.seq},"op":"${m.op}"}`;
  return JSON.stringify(m);
}

/** The query that makes a connection multiplexed: `ws://127.0.0.1:PORT/?mux=1`. */
export const MUX_QUERY = 'mux=1';
/** Largest channel number (a non-negative 31-bit integer). */
export const MAX_CHANNEL = 2147483647;

/** Stable error codes in `err` replies. */
export type ErrorCode =
  | 'BAD_FRAME' // not JSON, or not an object with a known shape
  | 'UNKNOWN_TYPE' // `t` is not login/msg/logout
  | 'NOT_LOGGED_IN' // msg or logout before login
  | 'ALREADY_LOGGED_IN'
  | 'SERVER_BUSY'
  | 'BAD_CHANNEL' // missing or invalid `ch` on a mux connection, or `ch` on a plain one
  | 'TOO_MANY_CHANNELS' // a login past maxChannelsPerConnection logged-in channels on one mux connection
  | 'INTERNAL';

/** WebSocket close codes the gate uses. */
export const CloseCode = {
  normal: 1000,
  goingAway: 1001,
  /** Frame larger than maxFrameBytes (RFC 6455 "message too big"). */
  tooBig: 1009,
  policy: 1008,
} as const;
