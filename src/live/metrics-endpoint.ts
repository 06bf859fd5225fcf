// `--metrics [host:]port`: GET /metrics answers with the latest samples as OpenMetrics text, for Prometheus to
// scrape while a run, a recorded serve or a watch goes on. The text is made at scrape time from values the
// samples set (no work between scrapes beyond setting gauges).

import { createServer, type Server } from 'node:http';
import { httpUrl, type ListenAddress } from './address.js';
import { closeServer, listen } from './http.js';
import type { SampleMetrics } from './metrics.js';

export class MetricsEndpoint {
  private readonly server: Server;
  private port = 0;

  constructor(
    private readonly metrics: SampleMetrics,
    private readonly addr: ListenAddress,
  ) {
    this.server = createServer((req, res) => {
      const path = (req.url ?? '/').split('?')[0];
      if (path !== '/metrics' || (req.method !== 'GET' && req.method !== 'HEAD')) {
        res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end('simload: only GET /metrics here\n');
        return;
      }
      this.metrics.text().then(
        (text) => {
          res.writeHead(200, { 'content-type': this.metrics.contentType, 'cache-control': 'no-store' });
          res.end(req.method === 'HEAD' ? undefined : text);
        },
        (err: unknown) =>
          res
            .writeHead(500, { 'content-type': 'text/plain; charset=utf-8' })
            .end(`simload: ${(err as Error).message}\n`),
      );
    });
    // Scrapers keep connections alive between scrapes; none may hold simload's exit.
    this.server.keepAliveTimeout = 5000;
  }

  async start(): Promise<string> {
    this.port = await listen(this.server, this.addr, 'metrics');
    return this.url;
  }

  get url(): string {
    return httpUrl(this.addr.host, this.port, '/metrics');
  }

  close(): Promise<void> {
    return closeServer(this.server);
  }
}
