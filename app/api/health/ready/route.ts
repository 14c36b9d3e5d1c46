import { getAppContext } from '@/server/context';
import { readinessResponse } from '@/server/observability/health-answers';

export const runtime = 'nodejs';
export const dynamic = 'force-dynamic';

/**
 * Public readiness probe: the database answers with every migration applied, the exports folder is
 * writable with HEALTH_MIN_FREE_MB free, the runner's heartbeat is fresh when it runs here. 503
 * otherwise. Never calls Notion; names no path.
 */
export function GET(): Promise<Response> {
  return readinessResponse(getAppContext);
}
