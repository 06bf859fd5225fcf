// The gate's WebSocket protocol: JSON text frames, one message per frame. Shared by the server and the bots.
// README's "Protocol" section documents it; change both together.

/** Client -> server. `seq` is echoed in the reply so clients can time round trips. */
export type ClientMessage =
  | { t: 'login'; seq: number; player: string }
  | { t: 'msg'; seq: number; kind?: string; body?: string }
  | { t: 'logout'; seq: number };

/** Server -> client. */
export type ServerMessage =
  | { t: 'ok'; seq: number; op: 'login' | 'msg' | 'logout' }
  | { t: 'err'; seq: number | null; code: ErrorCode; message: string };

/** Stable error codes in `err` replies. */
export type ErrorCode =
  | 'BAD_FRAME' // not JSON, or not an object with a known shape
  | 'UNKNOWN_TYPE' // `t` is not login/msg/logout
  | 'NOT_LOGGED_IN' // msg or logout before login
  | 'ALREADY_LOGGED_IN'
  | 'SERVER_BUSY'
  | 'INTERNAL';

/** WebSocket close codes the gate uses. */
export const CloseCode = {
  normal: 1000,
  goingAway: 1001,
  /** Frame larger than maxFrameBytes (RFC 6455 "message too big"). */
  tooBig: 1009,
  policy: 1008,
} as const;
