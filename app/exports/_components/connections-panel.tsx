'use client';

import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { useTRPC } from '@/app/_trpc/client';
import type { ConnectionView } from '@/app/_trpc/types';
import { formatDateTime } from '@/components/formatters';
import { Button } from '@/components/ui/button';
import { Card } from '@/components/ui/card';
import { TextField } from '@/components/ui/text-field';

/** Lists the Notion connections and adds new ones (the server checks the token first). */
export function ConnectionsPanel() {
  const trpc = useTRPC();
  const connections = useQuery(trpc.connections.list.queryOptions());
  // Adding connections and replacing tokens is for admins (the server checks again).
  const canEdit = useQuery(trpc.me.queryOptions()).data?.can.administer === true;
  return (
    <Card title="Connections" description="Notion integrations this server can export from.">
      {connections.isPending ? (
        <p className="text-sm text-slate-500">Loading connections…</p>
      ) : connections.isError ? (
        <p role="alert" className="text-sm text-red-700">
          Could not load connections: {connections.error.message}
        </p>
      ) : connections.data.length === 0 ? (
        <p className="text-sm text-slate-500">No connections yet. Add one with an internal integration token below.</p>
      ) : (
        <ul aria-label="Connections" className="divide-y divide-slate-100">
          {connections.data.map((c) => (
            <ConnectionItem key={c.id} connection={c} canEdit={canEdit} />
          ))}
        </ul>
      )}
      {canEdit && <AddConnectionForm />}
    </Card>
  );
}

function ConnectionItem({ connection: c, canEdit }: { connection: ConnectionView; canEdit: boolean }) {
  return (
    <li className="py-3 first:pt-0">
      <div className="flex flex-wrap items-baseline justify-between gap-x-3">
        <p className="font-medium text-slate-900">{c.name}</p>
        <p className="text-xs text-slate-500">checked {formatDateTime(c.checkedAt ?? c.createdAt)}</p>
      </div>
      <dl className="mt-1 grid grid-cols-[auto_1fr] gap-x-3 gap-y-0.5 text-sm text-slate-600">
        <dt className="text-slate-500">Workspace</dt>
        <dd>{c.workspaceName ?? '—'}</dd>
        <dt className="text-slate-500">Bot</dt>
        <dd>{c.botName ?? '—'}</dd>
        <dt className="text-slate-500">Token</dt>
        <dd className="font-mono text-xs leading-5">{c.tokenHint}</dd>
        <dt className="text-slate-500">API</dt>
        <dd className="truncate font-mono text-xs leading-5">{c.baseUrl ?? 'https://api.notion.com (default)'}</dd>
      </dl>
      {canEdit && <UpdateTokenForm connection={c} />}
    </li>
  );
}

/** Replaces a revoked or rotated token; exports paused by a refused token resume. */
function UpdateTokenForm({ connection }: { connection: ConnectionView }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [open, setOpen] = useState(false);
  const [token, setToken] = useState('');
  const update = useMutation(
    trpc.connections.updateToken.mutationOptions({
      onSuccess: async () => {
        setToken('');
        setOpen(false);
        await queryClient.invalidateQueries(trpc.connections.pathFilter());
        await queryClient.invalidateQueries(trpc.exports.pathFilter());
      },
    }),
  );
  if (!open) {
    return (
      <button type="button" className="mt-2 text-xs font-medium text-slate-600 underline hover:text-slate-900" onClick={() => setOpen(true)}>
        Update token
      </button>
    );
  }
  return (
    <form
      className="mt-2 flex flex-wrap items-end gap-2"
      onSubmit={(e) => {
        e.preventDefault();
        update.mutate({ id: connection.id, token });
      }}
    >
      <label className="text-xs text-slate-600">
        New integration token
        <input
          type="password"
          value={token}
          onChange={(e) => setToken(e.target.value)}
          className="mt-1 block h-8 w-64 rounded-md bg-white px-2 text-sm ring-1 ring-inset ring-slate-300"
        />
      </label>
      <Button type="submit" variant="secondary" disabled={update.isPending || token.trim() === ''}>
        {update.isPending ? 'Checking…' : 'Save token'}
      </Button>
      {update.data && update.data.resumed.length > 0 && (
        <p className="w-full text-xs text-emerald-700">Resumed {update.data.resumed.length} paused export(s).</p>
      )}
      {update.error && (
        <p role="alert" className="w-full text-xs text-red-700">
          {update.error.message}
        </p>
      )}
    </form>
  );
}

function AddConnectionForm() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [name, setName] = useState('');
  const [token, setToken] = useState('');
  const [baseUrl, setBaseUrl] = useState('');
  const create = useMutation(
    trpc.connections.create.mutationOptions({
      onSuccess: async () => {
        setName('');
        setToken('');
        setBaseUrl('');
        await queryClient.invalidateQueries(trpc.connections.pathFilter());
      },
    }),
  );
  const fieldErrors: Partial<Record<'name' | 'token' | 'baseUrl', string[]>> | undefined =
    create.error?.data?.zodError?.fieldErrors;
  const formErrors = create.error?.data?.zodError?.formErrors;
  // Validation errors are shown next to their fields; everything else is the server's own message.
  const message = create.error
    ? fieldErrors && Object.keys(fieldErrors).length > 0
      ? 'Please correct the fields marked below.'
      : formErrors?.length
        ? formErrors.join(' ')
        : create.error.message
    : null;

  const submit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    create.mutate({ name: name || undefined, token, baseUrl });
  };

  return (
    <form onSubmit={submit} aria-label="Add connection" className="mt-4 border-t border-slate-100 pt-4">
      <h3 className="text-sm font-semibold text-slate-900">Add connection</h3>
      <div className="mt-3 grid gap-3 sm:grid-cols-2">
        <TextField
          label="Name"
          hint="Optional; defaults to the workspace name."
          value={name}
          onChange={(e) => setName(e.target.value)}
          autoComplete="off"
          error={fieldErrors?.name?.join(' ')}
        />
        <TextField
          label="Integration token"
          type="password"
          required
          value={token}
          onChange={(e) => setToken(e.target.value)}
          autoComplete="off"
          placeholder="ntn_… or secret_…"
          error={fieldErrors?.token?.join(' ')}
        />
        <TextField
          className="sm:col-span-2"
          label="API base URL"
          hint="Optional; leave empty for Notion itself."
          type="url"
          value={baseUrl}
          onChange={(e) => setBaseUrl(e.target.value)}
          placeholder="https://api.notion.com"
          autoComplete="off"
          error={fieldErrors?.baseUrl?.join(' ')}
        />
      </div>
      <div className="mt-4 flex flex-wrap items-center gap-3">
        <Button type="submit" disabled={create.isPending}>
          {create.isPending ? 'Checking token…' : 'Add connection'}
        </Button>
        <div aria-live="polite" className="text-sm">
          {create.isSuccess && (
            <p role="status" className="text-emerald-700">
              Connected to {create.data.workspaceName ?? 'the workspace'} as {create.data.botName ?? 'the integration'}
            </p>
          )}
        </div>
      </div>
      {message && (
        <p role="alert" className="mt-3 rounded-lg bg-red-50 px-3 py-2 text-sm text-red-800 ring-1 ring-inset ring-red-200">
          {message}
        </p>
      )}
    </form>
  );
}
