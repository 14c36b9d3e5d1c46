import { checkLiveness, checkReadiness, type HealthContext, type ReadinessOptions } from './health';

const HEADERS = { 'Cache-Control': 'no-store' };

/**
 * A probe's answer as plain data, so that the dashboard's route handlers (a web `Response`) and
 * the worker's metrics server (node's http) answer exactly the same.
 */
export interface HealthAnswer {
  status: 200 | 503;
  body: unknown;
}

/** Liveness: 200 while the event loop keeps up, 503 otherwise. */
export function livenessAnswer(): HealthAnswer {
  const report = checkLiveness();
  return { status: report.ok ? 200 : 503, body: report };
}

/**
 * Readiness: 200 when every part is ready, 503 otherwise or when the process did not start (why
 * goes to the log, never to the answer).
 */
export async function readinessAnswer(context: () => Promise<HealthContext>, options: ReadinessOptions = {}): Promise<HealthAnswer> {
  try {
    const report = await checkReadiness(await context(), options);
    return { status: report.ok ? 200 : 503, body: report };
  } catch (error) {
    console.error('health: the server did not start:', error);
    return { status: 503, body: { ok: false, error: 'The server did not start; its log says why' } };
  }
}

const toResponse = ({ status, body }: HealthAnswer): Response => Response.json(body, { status, headers: HEADERS });

/** The answer of `/api/health/live`: 200 while the event loop keeps up, 503 otherwise. */
export function livenessResponse(): Response {
  return toResponse(livenessAnswer());
}

/**
 * The answer of `/api/health/ready` and `/api/health`: 200 when every part is ready, 503 otherwise
 * or when the server did not start (why goes to the log, never to the answer).
 */
export async function readinessResponse(context: () => Promise<HealthContext>): Promise<Response> {
  return toResponse(await readinessAnswer(context));
}
