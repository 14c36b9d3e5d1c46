import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { startEventLoopSampler } from './event-loop';
import type { HealthContext } from './health';
import { type HealthAnswer, livenessAnswer, readinessAnswer } from './health-answers';
import { recordNoMetrics, watchExportsDisk } from './metrics';
import { metricsAnswer } from './metrics-endpoint';

/** The paths the metrics server answers (deploy/kubernetes.test.ts probes the worker on these only). */
export const METRICS_SERVER_PATHS = ['/metrics', '/health/live', '/health/ready'] as const;

export interface MetricsServer {
  /** The port it listens on (the one chosen when asked for 0). */
  port: number;
  /**
   * From now on `/health/ready` checks this process as the dashboard's `/api/health/ready` does
   * (until then it answers 503: the process is still starting). `runner`: this process runs a
   * runner whatever RUNNER_ENABLED says (the worker, the CLI), so its heartbeat is checked.
   */
  serveHealth(ctx: HealthContext, options?: { runner?: boolean }): void;
  close(): Promise<void>;
}

const TEXT = { 'Content-Type': 'text/plain; charset=utf-8' };
const STARTING: HealthAnswer = { status: 503, body: { ok: false, error: 'The process is starting' } };

/**
 * Serves, for a process without the dashboard (the worker, the CLI), `GET /metrics` on `port` with
 * the same token rule as `/api/metrics`, and the probes `/health/live` and `/health/ready` with the
 * same checks and answers as the dashboard's `/api/health/live` and `/api/health/ready` (open to
 * all like those: they say what works, never where; they never call Notion). It answers nothing
 * else, and never holds the process open.
 */
export function startMetricsServer(options: { port: number; host?: string; token?: string }): Promise<MetricsServer> {
  let health: HealthContext | undefined;
  // From now on, so that the first liveness probe already sees the last 30 s.
  startEventLoopSampler();
  const answerHealth = (res: http.ServerResponse, head: boolean, { status, body }: HealthAnswer) => {
    res.writeHead(status, { 'Content-Type': 'application/json', 'Cache-Control': 'no-store' }).end(head ? undefined : JSON.stringify(body));
  };
  const server = http.createServer((req, res) => {
    const pathname = (req.url ?? '/').split('?')[0];
    if (!(METRICS_SERVER_PATHS as readonly string[]).includes(pathname)) {
      res.writeHead(404, TEXT).end('Not found: the metrics are at /metrics, the probes at /health/live and /health/ready\n');
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { Allow: 'GET, HEAD', ...TEXT }).end('Method not allowed\n');
      return;
    }
    const head = req.method === 'HEAD';
    if (pathname === '/health/live') {
      answerHealth(res, head, livenessAnswer());
      return;
    }
    if (pathname === '/health/ready') {
      const ctx = health;
      if (!ctx) answerHealth(res, head, STARTING);
      else void readinessAnswer(() => Promise.resolve(ctx)).then((answer) => answerHealth(res, head, answer));
      return;
    }
    metricsAnswer(req.headers.authorization, options.token).then(
      (answer) => {
        res.writeHead(answer.status, answer.headers).end(head ? undefined : answer.body);
      },
      () => {
        res.writeHead(500, TEXT).end('The metrics could not be collected\n');
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
        serveHealth(ctx, { runner } = {}) {
          health = runner === undefined ? ctx : { ...ctx, config: { ...ctx.config, runnerEnabled: runner } };
        },
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
 * For the worker and the CLI: serves `/metrics` (with METRICS_TOKEN) and the probes on
 * METRICS_PORT when it is set, reporting the disk of EXPORTS_DIR too; says where on `log`.
 * Undefined when it is not set. `/health/ready` answers 503 until `serveHealth` is given the context.
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
  log(`metrics on port ${server.port} at /metrics${config.metricsToken ? ' (with METRICS_TOKEN)' : ''}, probes at /health/live and /health/ready`);
  return server;
}
