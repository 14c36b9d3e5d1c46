'use client';

import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import Link from 'next/link';
import { type FormEvent, type ReactNode, useEffect, useState } from 'react';
import { useTRPC } from '@/app/_trpc/client';
import type { ConnectionView } from '@/app/_trpc/types';
import { formatDateTime, formatNumber } from '@/components/formatters';
import { Button } from '@/components/ui/button';
import { Card } from '@/components/ui/card';
import { ConfirmDialog } from '@/components/ui/confirm-dialog';
import { TextField } from '@/components/ui/text-field';
import { describeBytes } from '@/server/export/domain/export-status';

const linkButton = 'text-xs font-medium text-slate-700 underline underline-offset-2 hover:text-slate-900 disabled:opacity-50';
const dangerLinkButton = 'text-xs font-medium text-red-700 underline underline-offset-2 hover:text-red-800 disabled:opacity-50';

/** Lists the Notion connections: operators test them, admins add, rename, replace tokens and remove. */
export function ConnectionsPanel() {
  const trpc = useTRPC();
  const connections = useQuery(trpc.connections.list.queryOptions());
  // Adding, renaming, replacing tokens and removing is for admins (the server checks again).
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
        <p className="text-sm text-slate-500">
          No connections yet.{canEdit ? ' Add one with an internal integration token below.' : ' An admin adds them.'}
        </p>
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

/** After a change to connections: the list, the overview's health and the exports (their connection names). */
function useRefreshConnections() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  return async () => {
    await Promise.all([
      queryClient.invalidateQueries(trpc.connections.pathFilter()),
      queryClient.invalidateQueries(trpc.overview.pathFilter()),
      queryClient.invalidateQueries(trpc.exports.pathFilter()),
    ]);
  };
}

function ConnectionItem({ connection: c, canEdit }: { connection: ConnectionView; canEdit: boolean }) {
  const [renaming, setRenaming] = useState(false);
  const [removing, setRemoving] = useState(false);
  return (
    <li className="py-3 first:pt-0">
      {renaming ? (
        <RenameForm connection={c} onDone={() => setRenaming(false)} />
      ) : (
        <div className="flex flex-wrap items-baseline justify-between gap-x-3">
          <p className="min-w-0 font-medium break-words text-slate-900">{c.name}</p>
          <p className="text-xs text-slate-500">checked {formatDateTime(c.checkedAt ?? c.createdAt)}</p>
        </div>
      )}
      <dl className="mt-1 grid grid-cols-[auto_minmax(0,1fr)] gap-x-3 gap-y-0.5 text-sm text-slate-600">
        <dt className="text-slate-500">Workspace</dt>
        <dd className="break-words">{c.workspaceName ?? '—'}</dd>
        <dt className="text-slate-500">Bot</dt>
        <dd className="break-words">{c.botName ?? '—'}</dd>
        <dt className="text-slate-500">Token</dt>
        <dd className="font-mono text-xs leading-5">{c.tokenHint}</dd>
        <dt className="text-slate-500">API</dt>
        <dd className="truncate font-mono text-xs leading-5">{c.baseUrl ?? 'https://api.notion.com (default)'}</dd>
        <dt className="text-slate-500">Exports</dt>
        <dd>
          {c.exports.count === 0 ? 'none' : `${formatNumber(c.exports.count)} (${describeBytes(c.exports.bytes)})`}
        </dd>
      </dl>
      <TestConnection connection={c}>
        <Link href={`/connections/${encodeURIComponent(c.id)}`} className={linkButton} aria-label={`Schedule and snapshots of ${c.name}`}>
          Schedule and snapshots
        </Link>
        {canEdit && !renaming && (
          <button type="button" className={linkButton} onClick={() => setRenaming(true)} aria-label={`Rename ${c.name}`}>
            Rename
          </button>
        )}
        {canEdit && (
          <button type="button" className={dangerLinkButton} onClick={() => setRemoving(true)} aria-label={`Remove ${c.name}`}>
            Remove
          </button>
        )}
      </TestConnection>
      {canEdit && <UpdateTokenForm connection={c} />}
      {canEdit && <RemoveConnectionDialog connection={c} open={removing} onClose={() => setRemoving(false)} />}
    </li>
  );
}

/** The test button and its answer; other actions of the connection sit beside it. */
function TestConnection({ connection, children }: { connection: ConnectionView; children?: ReactNode }) {
  const trpc = useTRPC();
  const refresh = useRefreshConnections();
  const test = useMutation(trpc.connections.test.mutationOptions({ onSettled: refresh }));
  return (
    <div className="mt-2">
      <div className="flex flex-wrap items-center gap-x-4 gap-y-2">
        <Button
          size="sm"
          variant="secondary"
          onClick={() => test.mutate({ id: connection.id })}
          disabled={test.isPending}
          aria-label={`Test ${connection.name}`}
        >
          {test.isPending ? 'Testing…' : 'Test'}
        </Button>
        {children}
      </div>
      <div aria-live="polite" className="text-sm">
        {test.data?.ok === true && (
          <p role="status" className="mt-1 text-emerald-700">
            Notion accepted the token
            {test.data.connection.workspaceName ? ` (workspace ${test.data.connection.workspaceName})` : ''}.
          </p>
        )}
        {test.data?.ok === false && (
          <p role="alert" className="mt-1 text-red-700">
            {test.data.message}
          </p>
        )}
        {test.error && (
          <p role="alert" className="mt-1 text-red-700">
            Could not test: {test.error.message}
          </p>
        )}
      </div>
    </div>
  );
}

/** Renames in place: Enter saves, Escape cancels. */
function RenameForm({ connection, onDone }: { connection: ConnectionView; onDone: () => void }) {
  const trpc = useTRPC();
  const refresh = useRefreshConnections();
  const [name, setName] = useState(connection.name);
  const rename = useMutation(
    trpc.connections.rename.mutationOptions({
      onSuccess: async () => {
        await refresh();
        onDone();
      },
    }),
  );
  const fieldErrors: Partial<Record<'name', string[]>> | undefined = rename.error?.data?.zodError?.fieldErrors;
  const fieldError = fieldErrors?.name?.join(' ');
  const submit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    if (name.trim() === connection.name) onDone();
    else rename.mutate({ id: connection.id, name });
  };
  return (
    <form
      onSubmit={submit}
      onKeyDown={(event) => {
        if (event.key === 'Escape') onDone();
      }}
      aria-label={`Rename ${connection.name}`}
      className="flex flex-wrap items-end gap-2"
    >
      <TextField
        className="min-w-0 flex-1 basis-48"
        label="Name"
        value={name}
        maxLength={100}
        required
        autoFocus
        onChange={(e) => setName(e.target.value)}
        error={fieldError ?? rename.error?.message}
      />
      <Button type="submit" size="sm" disabled={rename.isPending || name.trim() === ''}>
        {rename.isPending ? 'Saving…' : 'Save'}
      </Button>
      <Button size="sm" variant="ghost" onClick={onDone}>
        Cancel
      </Button>
    </form>
  );
}

/** Asks whether to keep the connection's exports and says what goes. */
function RemoveConnectionDialog({ connection: c, open, onClose }: { connection: ConnectionView; open: boolean; onClose: () => void }) {
  const trpc = useTRPC();
  const refresh = useRefreshConnections();
  const [keepExports, setKeepExports] = useState(true);
  const remove = useMutation(
    trpc.connections.remove.mutationOptions({
      onSuccess: async () => {
        onClose();
        await refresh();
      },
    }),
  );
  // Each time it opens, without the outcome of an earlier attempt.
  const { reset } = remove;
  useEffect(() => {
    if (open) reset();
  }, [open, reset]);
  const { count, bytes, active } = c.exports;
  const exportsWords = `${formatNumber(count)} export${count === 1 ? '' : 's'}`;
  return (
    <ConfirmDialog
      open={open}
      title={`Remove “${c.name}”?`}
      confirmLabel={count > 0 && !keepExports ? `Remove and delete ${exportsWords}` : 'Remove connection'}
      pendingLabel="Removing…"
      pending={remove.isPending}
      confirmDisabled={active > 0}
      error={remove.error?.message}
      onConfirm={() => remove.mutate({ id: c.id, keepExports: count === 0 || keepExports })}
      onCancel={onClose}
    >
      <p>Its token is no longer used: no export can start or resume with this connection.</p>
      {active > 0 ? (
        <p role="alert" className="rounded-lg bg-amber-50 px-3 py-2 text-amber-900 ring-1 ring-inset ring-amber-200">
          {active === 1 ? 'One of its exports is' : `${formatNumber(active)} of its exports are`} queued or running. Cancel{' '}
          {active === 1 ? 'it' : 'them'} or let {active === 1 ? 'it' : 'them'} finish first.
        </p>
      ) : count === 0 ? (
        <p>It has no exports.</p>
      ) : (
        <fieldset className="space-y-2">
          <legend className="font-medium text-slate-900">
            Its {exportsWords} ({describeBytes(bytes)})
          </legend>
          <label className="flex items-start gap-2">
            <input type="radio" name="keep" className="mt-1" checked={keepExports} onChange={() => setKeepExports(true)} />
            <span>Keep them: they stay listed and downloadable, under this connection’s name.</span>
          </label>
          <label className="flex items-start gap-2">
            <input type="radio" name="keep" className="mt-1" checked={!keepExports} onChange={() => setKeepExports(false)} />
            <span>
              Delete them with their files ({describeBytes(bytes)}). Exports written elsewhere with the CLI keep their files.
            </span>
          </label>
        </fieldset>
      )}
    </ConfirmDialog>
  );
}

/** Replaces a revoked or rotated token; exports paused by a refused token resume. */
function UpdateTokenForm({ connection }: { connection: ConnectionView }) {
  const trpc = useTRPC();
  const refresh = useRefreshConnections();
  const [open, setOpen] = useState(false);
  const [token, setToken] = useState('');
  const update = useMutation(
    trpc.connections.updateToken.mutationOptions({
      onSuccess: async () => {
        setToken('');
        setOpen(false);
        await refresh();
      },
    }),
  );
  if (!open) {
    return (
      <button type="button" className={`mt-2 ${linkButton}`} onClick={() => setOpen(true)} aria-label={`Update token of ${connection.name}`}>
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
      <label className="min-w-0 flex-1 basis-48 text-xs text-slate-600">
        New integration token
        <input
          type="password"
          value={token}
          autoComplete="off"
          onChange={(e) => setToken(e.target.value)}
          className="mt-1 block h-8 w-full rounded-md bg-white px-2 text-sm ring-1 ring-inset ring-slate-300"
        />
      </label>
      <Button type="submit" size="sm" variant="secondary" disabled={update.isPending || token.trim() === ''}>
        {update.isPending ? 'Checking…' : 'Save token'}
      </Button>
      <Button size="sm" variant="ghost" onClick={() => setOpen(false)}>
        Cancel
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
  const refresh = useRefreshConnections();
  const [name, setName] = useState('');
  const [token, setToken] = useState('');
  const [baseUrl, setBaseUrl] = useState('');
  const create = useMutation(
    trpc.connections.create.mutationOptions({
      onSuccess: async () => {
        setName('');
        setToken('');
        setBaseUrl('');
        await refresh();
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
