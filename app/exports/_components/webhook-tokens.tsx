'use client';

import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useEffect, useState } from 'react';
import { useTRPC } from '@/app/_trpc/client';
import type { RouterOutputs } from '@/app/_trpc/types';
import { Button } from '@/components/ui/button';
import { ConfirmDialog } from '@/components/ui/confirm-dialog';

type WebhookToken = RouterOutputs['webhooks']['tokens'][number];
type Connection = RouterOutputs['connections']['list'][number];

const when = (ms: number) => new Date(ms).toLocaleString();

/**
 * Notion's webhooks (admins, docs/webhooks.md): the verification tokens Notion sent, to paste into
 * Notion and to choose for the connection whose syncs its events start. Shows the tokens
 * themselves: this panel is only rendered for admins, and the list is an admin's procedure.
 */
export function WebhookTokens({ enabled }: { enabled: boolean }) {
  const trpc = useTRPC();
  const tokens = useQuery(trpc.webhooks.tokens.queryOptions());
  const connections = useQuery(trpc.connections.list.queryOptions());
  const [endpoint, setEndpoint] = useState('/api/webhooks/notion');
  useEffect(() => setEndpoint(`${window.location.origin}/api/webhooks/notion`), []);
  return (
    <section aria-labelledby="webhooks-heading" className="mt-6 border-t border-slate-200 pt-4">
      <h3 id="webhooks-heading" className="text-sm font-semibold text-slate-900">
        Notion webhooks
      </h3>
      <p className="mt-1 text-sm break-words text-slate-600">
        {enabled ? 'On' : 'Off (the “Integration webhooks” flag above)'}. In the integration’s settings in Notion, subscribe{' '}
        <code className="text-xs break-all text-slate-700">{endpoint}</code>; Notion then sends a verification token here. Paste it
        into Notion and choose it for the connection of that integration: its changes then start a sync within a minute. The
        schedule stays the source of truth.
      </p>
      {tokens.isPending ? (
        <p className="mt-3 text-sm text-slate-500">Loading webhook tokens…</p>
      ) : tokens.isError ? (
        <p role="alert" className="mt-3 text-sm text-red-700">
          Could not load the webhook tokens: {tokens.error.message}
        </p>
      ) : tokens.data.length === 0 ? (
        <p className="mt-3 text-sm text-slate-500">No verification token received yet.</p>
      ) : (
        <ul className="mt-3 space-y-3">
          {tokens.data.map((token) => (
            <TokenItem key={token.id} token={token} connections={connections.data ?? []} />
          ))}
        </ul>
      )}
    </section>
  );
}

function TokenItem({ token, connections }: { token: WebhookToken; connections: Connection[] }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [connectionId, setConnectionId] = useState(token.connectionId ?? '');
  const [copied, setCopied] = useState(false);
  const [confirming, setConfirming] = useState(false);
  const refresh = { onSuccess: () => queryClient.invalidateQueries(trpc.webhooks.pathFilter()) };
  const use = useMutation(trpc.webhooks.useToken.mutationOptions(refresh));
  const remove = useMutation(trpc.webhooks.removeToken.mutationOptions(refresh));
  const id = `webhook-token-${token.id}`;
  const copy = async () => {
    if (!token.token) return;
    // No clipboard (plain http, or refused): the field stays selectable by hand.
    setCopied(await navigator.clipboard.writeText(token.token).then(
      () => true,
      () => false,
    ));
  };
  const error = use.error;
  return (
    <li className="rounded-lg p-3 text-sm ring-1 ring-inset ring-slate-200">
      <p className="text-slate-600">
        Received {when(token.receivedAt)}
        {token.connectionId
          ? ` · in use for ${token.connectionName ?? 'a removed connection'}${token.lastEventAt ? ` · last event ${when(token.lastEventAt)}` : ' · no event yet'}`
          : ' · waiting for an admin'}
      </p>
      {token.token === null ? (
        <p className="mt-2 text-red-700">Sealed with a key this server no longer has: remove it and have Notion send a new one.</p>
      ) : (
        <div className="mt-2 flex flex-wrap items-center gap-2">
          <label htmlFor={`${id}-value`} className="sr-only">
            Verification token
          </label>
          <input
            id={`${id}-value`}
            readOnly
            value={token.token}
            className="min-w-0 flex-1 rounded-lg px-2 py-1.5 font-mono text-xs text-slate-900 ring-1 ring-inset ring-slate-300"
            onFocus={(e) => e.currentTarget.select()}
          />
          <Button size="sm" variant="secondary" onClick={() => void copy()}>
            {copied ? 'Copied' : 'Copy'}
          </Button>
        </div>
      )}
      <div className="mt-2 flex flex-wrap items-center gap-2">
        <label htmlFor={`${id}-connection`} className="text-slate-700">
          Connection
        </label>
        <select
          id={`${id}-connection`}
          value={connectionId}
          onChange={(e) => setConnectionId(e.target.value)}
          className="h-8 max-w-full min-w-0 rounded-lg bg-white px-2 text-slate-900 ring-1 ring-inset ring-slate-300"
        >
          <option value="">Choose…</option>
          {connections.map((c) => (
            <option key={c.id} value={c.id}>
              {c.name}
            </option>
          ))}
        </select>
        <Button
          size="sm"
          variant="secondary"
          disabled={!connectionId || connectionId === token.connectionId || use.isPending || token.token === null}
          onClick={() => use.mutate({ id: token.id, connectionId })}
        >
          {use.isPending ? 'Saving…' : 'Use for this connection'}
        </Button>
        <Button size="sm" variant="danger" onClick={() => setConfirming(true)}>
          Remove
        </Button>
      </div>
      <div aria-live="polite">
        {error && (
          <p role="alert" className="mt-2 text-red-700">
            {error.message}
          </p>
        )}
      </div>
      <ConfirmDialog
        open={confirming}
        title="Remove this verification token?"
        confirmLabel="Remove"
        pending={remove.isPending}
        error={remove.error?.message}
        onCancel={() => {
          setConfirming(false);
          remove.reset();
        }}
        onConfirm={() => remove.mutate({ id: token.id }, { onSuccess: () => setConfirming(false) })}
      >
        <p>Events Notion signs with it are refused from then on{token.connectionId ? ': this connection syncs on its schedule only' : ''}.</p>
        <p>To use webhooks again, have Notion send a new token (or resend this one) and choose it here.</p>
      </ConfirmDialog>
    </li>
  );
}
