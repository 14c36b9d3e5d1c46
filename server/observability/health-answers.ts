import { checkLiveness, checkReadiness, type HealthContext } from './health';

const HEADERS = { 'Cache-Control': 'no-store' };

/** The answer of `/api/health/live`: 200 while the event loop keeps up, 503 otherwise. */
export function livenessResponse(): Response {
  const report = checkLiveness();
  return Response.json(report, { status: report.ok ? 200 : 503, headers: HEADERS });
}

/**
 * The answer of `/api/health/ready` and `/api/health`: 200 when every part is ready, 503 otherwise
 * or when the server did not start (why goes to the log, never to the answer).
 */
export async function readinessResponse(context: () => Promise<HealthContext>): Promise<Response> {
  try {
    const report = await checkReadiness(await context());
    return Response.json(report, { status: report.ok ? 200 : 503, headers: HEADERS });
  } catch (error) {
    console.error('health: the server did not start:', error);
    return Response.json({ ok: false, error: 'The server did not start; its log says why' }, { status: 503, headers: HEADERS });
  }
}
