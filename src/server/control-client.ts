// The simload side of a server process's control channel (child-process IPC): requests with ids and
// timeouts, the server's events, and the process's state in one place:
//   starting  forked, `start` sent, no `ready` yet
//   ready     serving; control requests are answered
//   stopping  stop() asked for; requests still go out until the process exits
//   gone      exited: every pending request is rejected, new ones fail at once

import type { ChildProcess } from 'node:child_process';
import { SimloadError } from '../errors.js';
import type { ControlReply, ControlRequest, ServerEvent } from './control.js';

export type ServerState = 'starting' | 'ready' | 'stopping' | 'gone';

type Pending = { resolve: (r: ControlReply) => void; reject: (e: Error) => void; timer: NodeJS.Timeout };

export class ControlClient {
  private current: ServerState = 'starting';
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private lastFatal: { code: string; message: string } | null = null;

  /** `explain` adds what the process wrote to stderr to a message about its exit. */
  constructor(
    private readonly child: ChildProcess,
    private readonly explain: (message: string) => string,
  ) {
    child.on('message', (m: ServerEvent | ControlReply) => this.onMessage(m));
  }

  get state(): ServerState {
    return this.current;
  }

  /** The last `fatal` message the server sent (a worker died, or the start failed), if any. */
  get fatal(): { code: string; message: string } | null {
    return this.lastFatal;
  }

  ready(): void {
    if (this.current === 'starting') this.current = 'ready';
  }

  stopping(): void {
    if (this.current !== 'gone') this.current = 'stopping';
  }

  /** The process exited: pending requests fail with how it ended. */
  gone(code: number | null, signal: string | null): void {
    this.current = 'gone';
    for (const p of this.pending.values()) {
      clearTimeout(p.timer);
      p.reject(
        new SimloadError(
          'ERR_SERVER_GONE',
          this.explain(`the server process ${this.child.pid} exited (code ${code}, signal ${signal})`),
        ),
      );
    }
    this.pending.clear();
  }

  request(op: ControlRequest['op'], timeoutMs: number): Promise<ControlReply> {
    if (this.current === 'gone')
      return Promise.reject(new SimloadError('ERR_SERVER_GONE', `the server process ${this.child.pid} has exited`));
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new SimloadError('ERR_CONTROL_TIMEOUT', `the server did not answer '${op}' within ${timeoutMs} ms`));
      }, timeoutMs);
      this.pending.set(id, { resolve, reject, timer });
      const failed = (err: Error) => {
        clearTimeout(timer);
        if (!this.pending.delete(id)) return;
        reject(new SimloadError('ERR_SERVER_GONE', `cannot reach the server: ${err.message}`));
      };
      // With a callback, a write to a process that died before its exit was seen (EPIPE, a closed channel)
      // fails this request; without one it would be an 'error' event on the child.
      try {
        this.child.send({ id, op } as ControlRequest, (err) => {
          if (err) failed(err);
        });
      } catch (err) {
        failed(err as Error);
      }
    });
  }

  /** A request whose failure reply becomes a SimloadError with the server's code. */
  async ask<T>(op: ControlRequest['op'], timeoutMs: number, pick: (r: ControlReply & { ok: true }) => T): Promise<T> {
    const r = await this.request(op, timeoutMs);
    if (!r.ok) throw new SimloadError(r.code, `server ${op}: ${r.message}`);
    return pick(r);
  }

  private onMessage(m: ServerEvent | ControlReply): void {
    if ('type' in m && m.type === 'fatal') this.lastFatal = { code: m.code, message: m.message };
    if ('id' in m && typeof m.id === 'number') {
      const p = this.pending.get(m.id);
      if (!p) return;
      this.pending.delete(m.id);
      clearTimeout(p.timer);
      p.resolve(m);
    }
  }
}
