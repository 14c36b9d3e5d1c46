import { getAppContext } from '@/server/context';
import { checkHealth } from '@/server/observability/health';

export const dynamic = 'force-dynamic';

/** Public: says whether the server works, never where its files or database are (the log has the details). */
export async function GET(): Promise<Response> {
  try {
    const report = await checkHealth(await getAppContext());
    return Response.json(report, { status: report.ok ? 200 : 503 });
  } catch (error) {
    console.error('health: the server did not start:', error);
    return Response.json({ ok: false, error: 'The server did not start; its log says why' }, { status: 503 });
  }
}
