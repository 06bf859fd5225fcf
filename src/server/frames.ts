// Parsing one client frame into a ClientMessage, or the error reply it earns. Pure, so the protocol's edge
// cases are decided in one place.

import { fastMsg } from './frame-fast.js';
import { MAX_CHANNEL, type ClientMessage, type ErrorCode } from './protocol.js';

export const MAX_PLAYER_NAME = 128;

/**
 * `ch`: the frame's channel field: absent (undefined), a valid channel number, or `null` when present but not
 * an integer from 0 to MAX_CHANNEL. The gate decides what it means for the connection (plain or mux).
 */
export type Parsed =
  | { ok: true; msg: ClientMessage; ch: number | null | undefined }
  | { ok: false; seq: number | null; code: ErrorCode; message: string; ch: number | null | undefined };

function bad(seq: number | null, code: ErrorCode, message: string, ch: number | null | undefined = undefined): Parsed {
  return { ok: false, seq, code, message, ch };
}

function channelOf(o: Record<string, unknown>): number | null | undefined {
  if (!('ch' in o)) return undefined;
  const c = o.ch;
  return typeof c === 'number' && Number.isInteger(c) && c >= 0 && c <= MAX_CHANNEL ? c : null;
}

export function parseFrame(data: Buffer | ArrayBuffer | Buffer[], isBinary: boolean): Parsed {
  if (isBinary) return bad(null, 'BAD_FRAME', 'binary frames are not part of the protocol: send JSON text');
  if (Buffer.isBuffer(data)) {
    const m = fastMsg(data);
    if (m) return { ok: true, msg: { t: 'msg', seq: m.seq }, ch: m.ch };
  }
  const text = Array.isArray(data)
    ? Buffer.concat(data).toString('utf8')
    : Buffer.isBuffer(data)
      ? data.toString('utf8')
      : Buffer.from(data).toString('utf8');
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    return bad(null, 'BAD_FRAME', `not JSON: ${JSON.stringify(text.length > 40 ? `${text.slice(0, 40)}...` : text)}`);
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v))
    return bad(null, 'BAD_FRAME', 'a frame must be a JSON object like {"t":"msg","seq":1}');
  const o = v as Record<string, unknown>;
  const seq = typeof o.seq === 'number' && Number.isFinite(o.seq) ? o.seq : null;
  const ch = channelOf(o);
  if (typeof o.t !== 'string') return bad(seq, 'BAD_FRAME', 'missing "t": the message type (login, msg or logout)', ch);
  if (o.t !== 'login' && o.t !== 'msg' && o.t !== 'logout')
    return bad(
      seq,
      'UNKNOWN_TYPE',
      `unknown message type ${JSON.stringify(o.t.slice(0, 40))}: use login, msg or logout`,
      ch,
    );
  if (seq === null)
    return bad(null, 'BAD_FRAME', `"seq" must be a number, got ${JSON.stringify(o.seq) ?? 'nothing'}`, ch);
  switch (o.t) {
    case 'login':
      if (typeof o.player !== 'string' || o.player.length === 0 || o.player.length > MAX_PLAYER_NAME) {
        return bad(seq, 'BAD_FRAME', `login needs "player": a name of 1 to ${MAX_PLAYER_NAME} characters`, ch);
      }
      return { ok: true, msg: { t: 'login', seq, player: o.player }, ch };
    case 'msg':
      return { ok: true, msg: { t: 'msg', seq }, ch };
    default:
      return { ok: true, msg: { t: 'logout', seq }, ch };
  }
}
