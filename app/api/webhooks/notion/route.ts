import { getAppContext } from '@/server/context';
import { clientAddressOf } from '@/server/security/client-address';
import { handleNotionWebhook } from '@/server/webhooks/notion-webhook';

export const runtime = 'nodejs';
export const dynamic = 'force-dynamic';

/**
 * Notion's integration webhooks (issue 13; docs/webhooks.md), behind the `webhooks` feature flag:
 * 404 while it is off.
 *
 * Who asks: Notion, not a signed-in person, so there is no session to check with
 * `authorizeRequest`. The signature is the check instead: every event must carry
 * `X-Notion-Signature`, an HMAC-SHA256 of the raw body with a verification token an admin chose
 * in the settings (401, nothing recorded, otherwise). The one unsigned request Notion sends, the
 * subscription's verification token, is only kept pending: it signs nothing until an admin
 * chooses it for a connection. No cookie is read, so the Origin rule of state-changing requests
 * does not apply (nothing a browser sends can pass the signature).
 */
export async function POST(req: Request): Promise<Response> {
  const ctx = await getAppContext();
  return handleNotionWebhook(ctx, { headers: req.headers, body: req.body, address: clientAddressOf(req.headers) });
}
