/**
 * The twin's control API under `/__twin/` (no auth, not counted): the `Twin` handle's methods over
 * HTTP, for processes that did not start the twin (the demo, the browser tests, the benchmark).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { answerChange } from './control-changes';
import { parseFault } from './faults';
import { isRecord, readBody, send } from './http';
import type { RateLimit, WindowLimit } from './rate-limiter';
import type { TwinControls } from './server';

/** A control answer: a status and a JSON body. */
interface Answer {
  status: number;
  body: object;
}

const OK: Answer = { status: 200, body: { ok: true } };
const badRequest = (error: string): Answer => ({ status: 400, body: { error } });

export async function handleControl(req: IncomingMessage, res: ServerResponse, url: URL, twin: TwinControls): Promise<void> {
  const bodyText = await readBody(req);
  let body: unknown = null;
  try {
    body = bodyText.trim() === '' ? null : JSON.parse(bodyText);
  } catch {
    send(res, { type: 'json', ...badRequest('invalid JSON') });
    return;
  }
  send(res, { type: 'json', ...answer(`${req.method} ${url.pathname}`, body, twin) });
}

function answer(route: string, body: unknown, twin: TwinControls): Answer {
  switch (route) {
    case 'GET /__twin/health':
      return OK;
    case 'GET /__twin/stats':
      return { status: 200, body: twin.stats() };
    case 'GET /__twin/requests':
      return { status: 200, body: twin.requests() };
    case 'POST /__twin/reset-stats':
      twin.resetStats();
      return OK;
    case 'GET /__twin/workspace':
      return { status: 200, body: describeWorkspace(twin) };
    case 'POST /__twin/rate-limit':
      return setRateLimit(twin, body);
    case 'POST /__twin/workspace-rate-limit':
      return setWorkspaceRateLimit(twin, body);
    case 'POST /__twin/latency':
      if (body !== null && !(Array.isArray(body) && body.length === 2 && body.every((n) => typeof n === 'number'))) return badRequest('expected [min, max] or null');
      twin.setLatency(Array.isArray(body) ? [Number(body[0]), Number(body[1])] : null);
      return OK;
    case 'POST /__twin/faults':
      return injectFault(twin, body);
    case 'DELETE /__twin/faults':
      twin.clearFaults();
      return OK;
    case 'POST /__twin/advance-file-clock':
      if (!isRecord(body) || typeof body.ms !== 'number' || !(body.ms >= 0)) return badRequest('expected {ms} (≥ 0)');
      twin.advanceFileClock(body.ms);
      return OK;
    default: {
      const change = route.startsWith('POST /__twin/') ? answerChange(route.slice('POST /__twin/'.length), body, twin.workspace) : null;
      return change ?? { status: 404, body: { error: `unknown control route ${route}` } };
    }
  }
}

function describeWorkspace(twin: TwinControls): object {
  const ws = twin.workspace;
  return {
    options: ws.options,
    summary: ws.summary(),
    botUserId: ws.botUserId,
    pages: ws.allPages(),
    unsharedPages: ws.unsharedPages(),
    databases: ws.allDatabases(),
    linkedDatabases: ws.linkedDatabases(),
  };
}

/** A limit the constructors refuse (RangeError) is the caller's mistake: 400, not 500. */
function applyLimit(set: () => void): Answer {
  try {
    set();
  } catch (err) {
    if (err instanceof RangeError) return badRequest(err.message);
    throw err;
  }
  return OK;
}

function setRateLimit(twin: TwinControls, body: unknown): Answer {
  let limit: RateLimit | null;
  if (body === null) limit = null;
  else if (isRecord(body) && typeof body.windowMs === 'number' && typeof body.budget === 'number') limit = { windowMs: body.windowMs, budget: body.budget };
  else if (isRecord(body) && typeof body.requestsPerSecond === 'number') limit = { requestsPerSecond: body.requestsPerSecond, burst: typeof body.burst === 'number' ? body.burst : undefined };
  else return badRequest('expected {requestsPerSecond, burst?}, {windowMs, budget} or null');
  return applyLimit(() => twin.setRateLimit(limit));
}

function setWorkspaceRateLimit(twin: TwinControls, body: unknown): Answer {
  if (body !== null && !(isRecord(body) && typeof body.windowMs === 'number' && typeof body.budget === 'number')) return badRequest('expected {windowMs, budget} or null');
  const limit: WindowLimit | null = isRecord(body) ? { windowMs: Number(body.windowMs), budget: Number(body.budget) } : null;
  return applyLimit(() => twin.setWorkspaceRateLimit(limit));
}

function injectFault(twin: TwinControls, body: unknown): Answer {
  if (!isRecord(body) || !isRecord(body.fault)) return badRequest('expected {fault, times?, endpoint?}');
  const fault = parseFault(body.fault);
  if (typeof fault === 'string') return badRequest(fault);
  twin.injectFault(fault, {
    times: typeof body.times === 'number' ? body.times : undefined,
    endpoint: typeof body.endpoint === 'string' ? body.endpoint : undefined,
  });
  return OK;
}
