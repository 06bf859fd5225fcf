// `--live [host:]port`: a page that draws the report's charts while the run goes on. GET / is the page, GET
// /events a stream of server-sent events (an `update` at most every MIN_GAP_MS while samples come, only while a
// page is open, so nobody watching costs nothing), GET /final the finished report once the run has one. An
// update that costs more CPU spaces the next ones out, so the page never takes more than PAGE_CPU_SHARE of a
// core (a long watch's history makes updates dearer). At the
// end every open page is told to load the report, and the server waits (at most FINAL_WAIT_MS) until each has
// fetched it before it closes: the report is self-contained, so the browser keeps it after simload exits.

import { readFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { httpUrl, type ListenAddress } from './address.js';
import type { LiveHistory } from './history.js';
import { closeServer, listen } from './http.js';
import { finalPageHtml, livePageHtml } from './page-html.js';
import { liveUpdate } from './view.js';

export const MIN_GAP_MS = 500;
export const PAGE_CPU_SHARE = 0.005;
export const FINAL_WAIT_MS = 5000;

export interface LiveEnd {
  outcome: string;
  exitCode: number;
  /** The verdict's lines (thresholds, INVALID reasons). */
  lines: string[];
  /** report.html of the run folder; null when the run ended without one. */
  report: string | null;
}

export class LivePage {
  private readonly server: Server;
  private port = 0;
  private history: LiveHistory | null = null;
  private readonly clients = new Set<ServerResponse>();
  private timer: NodeJS.Timeout | null = null;
  private lastSent = 0;
  private gapMs = MIN_GAP_MS;
  private sentVersion = -1;
  private final: { html: string | null; data: string } | null = null;
  private fetchedFinal = 0;
  private onFetched: (() => void) | null = null;

  constructor(private readonly addr: ListenAddress) {
    this.server = createServer((req, res) => this.route(req, res));
  }

  async start(): Promise<string> {
    this.port = await listen(this.server, this.addr, 'live');
    return this.url;
  }

  get url(): string {
    return httpUrl(this.addr.host, this.port, '/');
  }

  /** Open pages (event streams). */
  get viewers(): number {
    return this.clients.size;
  }

  follow(h: LiveHistory): void {
    this.history = h;
  }

  /** Something was recorded: an update goes out soon, if anyone is watching. */
  changed(): void {
    if (this.timer || this.final || this.clients.size === 0) return;
    this.timer = setTimeout(() => this.push(), Math.max(0, this.lastSent + this.gapMs - Date.now()));
  }

  private push(): void {
    this.timer = null;
    const h = this.history;
    if (!h || this.final || this.clients.size === 0 || h.version === this.sentVersion) return;
    this.sentVersion = h.version;
    this.lastSent = Date.now();
    const cpu = process.cpuUsage();
    this.send('update', JSON.stringify(liveUpdate(h)));
    // Process-wide CPU (bot threads included), so the share is over- rather than under-estimated.
    const d = process.cpuUsage(cpu);
    this.gapMs = Math.max(MIN_GAP_MS, (d.user + d.system) / 1000 / PAGE_CPU_SHARE);
  }

  private send(event: string, data: string, to: Iterable<ServerResponse> = this.clients): void {
    for (const res of to) res.write(`event: ${event}\ndata: ${data}\n\n`);
  }

  /** Tells every page how the run ended and waits until each has fetched the report (or FINAL_WAIT_MS). */
  async finish(end: LiveEnd): Promise<void> {
    if (this.final) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    // The last samples first, so a page without the report still shows the whole run.
    if (this.history && this.history.version !== this.sentVersion && this.clients.size > 0) {
      this.sentVersion = this.history.version;
      this.send('update', JSON.stringify(liveUpdate(this.history)));
    }
    const html = end.report
      ? await readFile(end.report, 'utf8').then(
          (t) => finalPageHtml(t, end),
          () => null,
        )
      : null;
    this.final = { html, data: JSON.stringify({ outcome: end.outcome, exitCode: end.exitCode, lines: end.lines }) };
    const waiting = html ? this.clients.size : 0;
    this.send(html ? 'final' : 'closed', this.final.data);
    if (waiting === 0) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, FINAL_WAIT_MS);
      this.onFetched = () => {
        if (this.fetchedFinal < waiting) return;
        clearTimeout(timer);
        resolve();
      };
    });
  }

  async close(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    if (!this.final) this.send('closed', JSON.stringify({ outcome: 'stopped', exitCode: null, lines: [] }));
    for (const res of this.clients) res.end();
    this.clients.clear();
    await closeServer(this.server);
  }

  private route(req: IncomingMessage, res: ServerResponse): void {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET') return void res.writeHead(405, { allow: 'GET' }).end();
    if (path === '/') {
      const h = this.history;
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
      res.end(livePageHtml(h?.title ?? 'simload', h?.dir ?? ''));
    } else if (path === '/events') {
      res.writeHead(200, {
        'content-type': 'text/event-stream',
        'cache-control': 'no-store',
        connection: 'keep-alive',
      });
      res.write('retry: 1000\n\n');
      this.clients.add(res);
      req.on('close', () => this.clients.delete(res));
      if (this.final) this.send(this.final.html ? 'final' : 'closed', this.final.data, [res]);
      else if (this.history) this.send('update', JSON.stringify(liveUpdate(this.history)), [res]);
    } else if (path === '/final' && this.final?.html) {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
      res.end(this.final.html, () => {
        this.fetchedFinal++;
        this.onFetched?.();
      });
    } else {
      res
        .writeHead(404, { 'content-type': 'text/plain; charset=utf-8' })
        .end('simload: not here (the live page is at /)\n');
    }
  }
}
