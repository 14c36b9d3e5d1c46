import { getAppContext } from '@/server/context';
import { reportDatabaseMetrics } from '@/server/observability/database-metrics';
import { watchExportsDisk } from '@/server/observability/metrics';
import { metricsAnswer } from '@/server/observability/metrics-endpoint';

export const runtime = 'nodejs';
export const dynamic = 'force-dynamic';

/**
 * Prometheus scrapes this process's metrics here (text exposition format). No session: when
 * METRICS_TOKEN is set, only `Authorization: Bearer <METRICS_TOKEN>` is answered (401 otherwise,
 * before anything is read); unset, it is open. This process also reports what the database says
 * (exports by status, the queue, the last successful export of each connection), read at scrape time.
 */
export async function GET(req: Request): Promise<Response> {
  let ctx: Awaited<ReturnType<typeof getAppContext>>;
  try {
    ctx = await getAppContext();
  } catch (error) {
    console.error('metrics: the server did not start:', error);
    return Response.json({ error: 'The server did not start; its log says why' }, { status: 503, headers: { 'Cache-Control': 'no-store' } });
  }
  // Only says what to read at scrape time; nothing is read unless the token is right.
  reportDatabaseMetrics(ctx.database.db);
  watchExportsDisk(ctx.config.exportsDir);
  const answer = await metricsAnswer(req.headers.get('authorization'), ctx.config.metricsToken);
  return new Response(answer.body, { status: answer.status, headers: answer.headers });
}
