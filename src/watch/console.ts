// A client of skynet's debug console (service/debug_console.lua): one TCP connection to the address the user
// gave, one command per line, each answer ended by `<CMD OK>` or `<CMD Error>`. It only connects; it never
// listens. A lost connection is opened again on the next command.

import { Socket, isIP } from 'node:net';
import { SimloadError, UsageError } from '../errors.js';

export interface ConsoleAddress {
  host: string;
  port: number;
}

export interface ConsoleAnswer {
  ok: boolean;
  /** The lines before the `<CMD ...>` line. */
  lines: string[];
  /** Round trip of this command, ms (connecting not included). */
  ms: number;
}

/** `127.0.0.1:8000`, `[::1]:8000` or `localhost:8000`. */
export function parseConsoleAddress(text: string): ConsoleAddress {
  const m = /^\[?([^\]]+?)\]?:(\d{1,5})$/.exec(text.trim());
  const port = m ? Number(m[2]) : NaN;
  if (!m || port < 1 || port > 65535 || (!isIP(m[1]!) && !/^[A-Za-z0-9.-]+$/.test(m[1]!))) {
    throw new UsageError(
      'ERR_USAGE',
      `--skynet-console ${text}: give HOST:PORT of the debug console, e.g. 127.0.0.1:8000`,
    );
  }
  return { host: m[1]!, port };
}

const END = /^<CMD (OK|Error)>$/;

export class SkynetConsole {
  readonly address: ConsoleAddress;
  private socket: Socket | null = null;
  private buffer = '';
  private lines: string[] = [];
  private waiter: ((line: string | null) => void) | null = null;
  private busy: Promise<unknown> = Promise.resolve();

  constructor(address: ConsoleAddress) {
    this.address = address;
  }

  /** Runs one console command; rejects with ERR_CONSOLE when there is no complete answer within timeoutMs. */
  command(cmd: string, timeoutMs: number): Promise<ConsoleAnswer> {
    if (/[\r\n]/.test(cmd)) throw new Error('a console command is one line');
    // One command at a time on the connection: answers carry no id.
    const run = this.busy.then(
      () => this.exchange(cmd, timeoutMs),
      () => this.exchange(cmd, timeoutMs),
    );
    this.busy = run.catch(() => undefined);
    return run;
  }

  close(): void {
    this.drop();
  }

  private async exchange(cmd: string, timeoutMs: number): Promise<ConsoleAnswer> {
    const deadline = Date.now() + timeoutMs;
    try {
      if (!this.socket) await this.connect(timeoutMs);
      const started = performance.now();
      this.lines = []; // anything unread from an earlier, timed-out answer is stale
      this.socket!.write(cmd + '\n');
      const out: string[] = [];
      for (;;) {
        const line = await this.nextLine(deadline - Date.now());
        const end = END.exec(line);
        if (end) return { ok: end[1] === 'OK', lines: out, ms: performance.now() - started };
        out.push(line);
      }
    } catch (err) {
      // After a timeout the rest of the answer may still come: start clean next time.
      this.drop();
      const where = `${this.address.host}:${this.address.port}`;
      throw new SimloadError(
        'ERR_CONSOLE',
        `skynet console ${where}: \`${cmd}\`: ${(err as Error).message}`,
        undefined,
        { cause: err },
      );
    }
  }

  private connect(timeoutMs: number): Promise<void> {
    return new Promise((resolve, reject) => {
      const s = new Socket();
      const timer = setTimeout(() => {
        s.destroy();
        reject(new Error(`no connection within ${timeoutMs} ms`));
      }, timeoutMs);
      s.setEncoding('utf8');
      s.setNoDelay(true);
      s.once('error', (err) => {
        clearTimeout(timer);
        reject(err);
      });
      s.connect(this.address.port, this.address.host, () => {
        clearTimeout(timer);
        s.removeAllListeners('error');
        s.on('error', () => this.drop());
        s.on('close', () => this.drop(s));
        s.on('data', (d: string) => this.onData(d));
        this.socket = s;
        this.buffer = '';
        this.lines = [];
        // The console greets each connection with one line before any command.
        this.nextLine(Math.max(1, timeoutMs)).then(
          () => resolve(),
          (err: unknown) => reject(err as Error),
        );
      });
    });
  }

  private onData(d: string): void {
    this.buffer += d;
    let i: number;
    while ((i = this.buffer.indexOf('\n')) >= 0) {
      const line = this.buffer.slice(0, i).replace(/\r$/, '');
      this.buffer = this.buffer.slice(i + 1);
      this.lines.push(line);
    }
    this.wake();
  }

  private wake(): void {
    if (!this.waiter) return;
    const w = this.waiter;
    if (this.lines.length > 0) {
      this.waiter = null;
      w(this.lines.shift()!);
    } else if (!this.socket) {
      this.waiter = null;
      w(null);
    }
  }

  private nextLine(ms: number): Promise<string> {
    return new Promise((resolve, reject) => {
      if (ms <= 0) return reject(new Error('no answer in time'));
      const timer = setTimeout(() => {
        this.waiter = null;
        reject(new Error(`no answer within the timeout`));
      }, ms);
      this.waiter = (line) => {
        clearTimeout(timer);
        if (line === null) reject(new Error('the console closed the connection'));
        else resolve(line);
      };
      this.wake();
    });
  }

  private drop(s: Socket | null = this.socket): void {
    if (s === null || s !== this.socket) {
      s?.destroy();
      return;
    }
    this.socket = null;
    s.destroy();
    this.wake();
  }
}
