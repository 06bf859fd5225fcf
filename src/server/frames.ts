// Parsing one client frame into a ClientMessage, or the error reply it earns. Pure, so the protocol's edge
// cases are decided in one place.

import type { ClientMessage, ErrorCode } from './protocol.js';

export const MAX_PLAYER_NAME = 128;

export type Parsed = { ok: true; msg: ClientMessage } | { ok: false; seq: number | null; code: ErrorCode; message: string };

function bad(seq: number | null, code: ErrorCode, message: string): Parsed {
  return { ok: false, seq, code, message };
}

export function parseFrame(data: Buffer | ArrayBuffer | Buffer[], isBinary: boolean): Parsed {
  if (isBinary) return bad(null, 'BAD_FRAME', 'binary frames are not part of the protocol: send JSON text');
  const text = Array.isArray(data) ? Buffer.concat(data).toString('utf8') : Buffer.isBuffer(data) ? data.toString('utf8') : Buffer.from(data).toString('utf8');
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    return bad(null, 'BAD_FRAME', `not JSON: ${JSON.stringify(text.length > 40 ? `${text.slice(0, 40)}...` : text)}`);
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return bad(null, 'BAD_FRAME', 'a frame must be a JSON object like {"t":"msg","seq":1}');
  const o = v as Record<string, unknown>;
  const seq = typeof o.seq === 'number' && Number.isFinite(o.seq) ? o.seq : null;
  if (typeof o.t !== 'string') return bad(seq, 'BAD_FRAME', 'missing "t": the message type (login, msg or logout)');
  if (o.t !== 'login' && o.t !== 'msg' && o.t !== 'logout') return bad(seq, 'UNKNOWN_TYPE', `unknown message type ${JSON.stringify(o.t.slice(0, 40))}: use login, msg or logout`);
  if (seq === null) return bad(null, 'BAD_FRAME', `"seq" must be a number, got ${JSON.stringify(o.seq) ?? 'nothing'}`);
  switch (o.t) {
    case 'login':
      if (typeof o.player !== 'string' || o.player.length === 0 || o.player.length > MAX_PLAYER_NAME) {
        return bad(seq, 'BAD_FRAME', `login needs "player": a name of 1 to ${MAX_PLAYER_NAME} characters`);
      }
      return { ok: true, msg: { t: 'login', seq, player: o.player } };
    case 'msg':
      return { ok: true, msg: { t: 'msg', seq } };
    default:
      return { ok: true, msg: { t: 'logout', seq } };
  }
}
