import { livenessResponse } from '@/server/observability/health-answers';

export const runtime = 'nodejs';
export const dynamic = 'force-dynamic';

/** Public liveness probe: the process answers and its event loop is not stuck. Reads nothing else. */
export function GET(): Response {
  return livenessResponse();
}
