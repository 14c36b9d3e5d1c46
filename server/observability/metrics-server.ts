import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { recordNoMetrics, watchExportsDisk } from './metrics';
import { metricsAnswer } from './metrics-endpoint';

export interface MetricsServer {
  /** The port it listens on (the one chosen when asked for 0). */
  port: number;
  close(): Promise<void>;
}

/**
 * Serves `GET /metrics` on `port` for a process without the dashboard (the worker, the CLI), with
 * the same token rule as `/api/metrics`. It answers nothing else, and never holds the process open.
 */
export function startMetricsServer(options: { port: number; host?: string; token?: string }): Promise<MetricsServer> {
  const server = http.createServer((req, res) => {
    const pathname = (req.url ?? '/').split('?')[0];
    if (pathname !== '/metrics') {
      res.writeHead(404, { 'Content-Type': 'text/plain; charset=utf-8' }).end('Not found: the metrics are at /metrics\n');
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { Allow: 'GET, HEAD', 'Content-Type': 'text/plain; charset=utf-8' }).end('Method not allowed\n');
      return;
    }
    metricsAnswer(req.headers.authorization, options.token).then(
      (answer) => {
        res.writeHead(answer.status, answer.headers).end(req.method === 'HEAD' ? undefined : answer.body);
      },
      () => {
        res.writeHead(500, { 'Content-Type': 'text/plain; charset=utf-8' }).end('The metrics could not be collected\n');
      },
    );
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      server.unref();
      resolve({
        port: (server.address() as AddressInfo).port,
        close: () =>
          new Promise<void>((done) => {
            server.close(() => done());
            server.closeAllConnections();
          }),
      });
    });
  });
}

/**
 * For the worker and the CLI: serves `/metrics` on METRICS_PORT (with METRICS_TOKEN) when it is
 * set, reporting the disk of EXPORTS_DIR too; says where on `log`. Undefined when it is not set.
 */
export async function serveProcessMetrics(
  config: { metricsPort?: number; metricsToken?: string; exportsDir: string },
  log: (line: string) => void,
): Promise<MetricsServer | undefined> {
  if (config.metricsPort === undefined) {
    // Nobody can scrape this process: record nothing (the worker's memory budget has no room for it).
    recordNoMetrics();
    return undefined;
  }
  watchExportsDisk(config.exportsDir);
  const server = await startMetricsServer({ port: config.metricsPort, token: config.metricsToken });
  log(`metrics on port ${server.port} at /metrics${config.metricsToken ? ' (with METRICS_TOKEN)' : ''}`);
  return server;
}
