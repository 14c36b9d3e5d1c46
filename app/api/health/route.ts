import { getAppContext } from '@/server/context';
import { checkHealth } from '@/server/observability/health';

export const dynamic = 'force-dynamic';

export async function GET(): Promise<Response> {
  try {
    const report = await checkHealth(await getAppContext());
    return Response.json(report, { status: report.ok ? 200 : 503 });
  } catch (error) {
    return Response.json({ ok: false, error: error instanceof Error ? error.message : String(error) }, { status: 503 });
  }
}
