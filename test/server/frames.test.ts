// The gate's frame parsing: the fast path for game messages reads what JSON.parse reads, and every frame it
// does not take gets the answer of the general path.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fastMsg } from '../../src/server/frame-fast.js';
import { parseFrame } from '../../src/server/frames.js';

const b = (s: string): Buffer => Buffer.from(s, 'utf8');

test('the fast path takes game messages as JSON.stringify writes them, with the values JSON.parse reads', () => {
  const frames = [
    { t: 'msg', seq: 0 },
    { t: 'msg', seq: 7, kind: 'move' },
    { t: 'msg', seq: 123456789012345, kind: 'move', ch: 2147483647 },
    { t: 'msg', seq: 42, ch: 0 },
    { t: 'msg', seq: 9, kind: '' },
  ];
  for (const f of frames) {
    const text = JSON.stringify(f);
    const m = fastMsg(b(text));
    assert.ok(m, text);
    const o = JSON.parse(text) as { seq: number; ch?: number };
    assert.equal(m.seq, o.seq, text);
    assert.equal(m.ch, o.ch, text);
    assert.deepEqual(parseFrame(b(text), false), { ok: true, msg: { t: 'msg', seq: o.seq }, ch: o.ch });
  }
});

test('frames off the fast path get the general answer', () => {
  const cases: Array<[string, unknown]> = [
    ['{"t":"msg","seq":01}', { ok: false, code: 'BAD_FRAME', seq: null, ch: undefined }],
    ['{"t":"msg","seq":1}x', { ok: false, code: 'BAD_FRAME', seq: null, ch: undefined }],
    ['{"t":"msg","seq":1,"ch":2147483648}', { ok: true, msg: { t: 'msg', seq: 1 }, ch: null }],
    ['{"t":"msg","seq":1.5}', { ok: true, msg: { t: 'msg', seq: 1.5 }, ch: undefined }],
    ['{"t":"msg","seq":1e3,"ch":4}', { ok: true, msg: { t: 'msg', seq: 1000 }, ch: 4 }],
    ['{"t":"msg","seq":-3}', { ok: true, msg: { t: 'msg', seq: -3 }, ch: undefined }],
    ['{"t":"msg","seq":5,"ch":1.0}', { ok: true, msg: { t: 'msg', seq: 5 }, ch: 1 }],
    ['{"t":"msg", "seq":2}', { ok: true, msg: { t: 'msg', seq: 2 }, ch: undefined }],
    ['{"t":"msg","seq":2,"kind":"m\\u006fve"}', { ok: true, msg: { t: 'msg', seq: 2 }, ch: undefined }],
    ['{"t":"msg","seq":2,"ch":3,"ch":"x"}', { ok: true, msg: { t: 'msg', seq: 2 }, ch: null }],
    ['{"t":"msg","seq":', { ok: false, code: 'BAD_FRAME', seq: null, ch: undefined }],
  ];
  for (const [text, want] of cases) {
    assert.equal(fastMsg(b(text)), null, text);
    const p = parseFrame(b(text), false);
    const got = p.ok ? p : { ok: false, code: p.code, seq: p.seq, ch: p.ch };
    assert.deepEqual(got, want, text);
  }
});
