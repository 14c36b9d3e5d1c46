import { getAppContext } from '@/server/context';
import { readinessResponse } from '@/server/observability/health-answers';

export const runtime = 'nodejs';
export const dynamic = 'force-dynamic';

/**
 * Public: the readiness summary (as /api/health/ready): says what works, never where its files or
 * database are (the log has the details).
 */
export function GET(): Promise<Response> {
  return readinessResponse(getAppContext);
}
