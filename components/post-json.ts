/** What this server answered a JSON POST from the browser. */
export interface PostAnswer {
  ok: boolean;
  /** 0 when the server did not answer at all (offline, restarting). */
  status: number;
  /** The answer's JSON object; empty when it had none (or something else than an object). */
  body: Record<string, unknown>;
}

/**
 * POSTs `body` as JSON to one of this server's routes (better-auth's, the setup form's) with this
 * browser's session and Origin. Never throws: a network failure is status 0, so each form says in
 * its own words what went wrong.
 */
export async function postJson(path: string, body: unknown): Promise<PostAnswer> {
  const response = await fetch(path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }).catch(
    () => undefined,
  );
  if (!response) return { ok: false, status: 0, body: {} };
  const json: unknown = await response.json().catch(() => undefined);
  return {
    ok: response.ok,
    status: response.status,
    body: json !== null && typeof json === 'object' && !Array.isArray(json) ? (json as Record<string, unknown>) : {},
  };
}
