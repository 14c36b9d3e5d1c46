'use client';

import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { useTRPC } from '@/app/_trpc/client';
import type { RouterOutputs } from '@/app/_trpc/types';
import { formatDateTime } from '@/components/formatters';
import { Badge } from '@/components/ui/badge';
import { Button } from '@/components/ui/button';
import { Card } from '@/components/ui/card';
import { ConfirmDialog } from '@/components/ui/confirm-dialog';
import { NewPasswordField } from '@/components/ui/new-password-field';
import { TextField } from '@/components/ui/text-field';
import { InviteForm } from './invite-form';
import { type Role, RoleSelect } from './role-select';

type UserView = RouterOutputs['users']['list'][number];
type InviteView = RouterOutputs['users']['invites'][number];

/** What an admin is about to do to someone, waiting for their confirmation. */
type Pending = { kind: 'remove' | 'disable'; user: UserView };

const STATUS = {
  active: { tone: 'success', label: 'Active' },
  disabled: { tone: 'neutral', label: 'Disabled' },
  invited: { tone: 'info', label: 'Invited' },
} as const;

function StatusBadge({ status }: { status: keyof typeof STATUS }) {
  return <Badge tone={STATUS[status].tone}>{STATUS[status].label}</Badge>;
}

/** Everyone who may sign in, the invites still open, and the ways to add someone (admins only; the server checks). */
export function UsersPanel() {
  return (
    <>
      <PeopleCard />
      <InviteForm />
      <PendingInvitesCard />
      <AddUserForm />
    </>
  );
}

function PeopleCard() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const users = useQuery(trpc.users.list.queryOptions());
  const [pending, setPending] = useState<Pending>();
  const refresh = { onSettled: () => queryClient.invalidateQueries(trpc.users.pathFilter()) };
  const setRole = useMutation(trpc.users.setRole.mutationOptions(refresh));
  const enable = useMutation(trpc.users.enable.mutationOptions(refresh));
  const close = { ...refresh, onSuccess: () => setPending(undefined) };
  const disable = useMutation(trpc.users.disable.mutationOptions(close));
  const remove = useMutation(trpc.users.remove.mutationOptions(close));
  const error = setRole.error ?? enable.error ?? disable.error ?? remove.error;
  const reset = () => {
    for (const mutation of [setRole, enable, disable, remove]) mutation.reset();
  };
  return (
    <Card title="People" description="Everyone who has an account. A disabled person cannot sign in until enabled again.">
      {users.isPending ? (
        <p className="text-sm text-slate-500">Loading users…</p>
      ) : users.isError ? (
        <p role="alert" className="text-sm text-red-700">
          Could not load users: {users.error.message}
        </p>
      ) : users.data.length === 0 ? (
        <p className="text-sm text-slate-500">No users yet.</p>
      ) : (
        <ul aria-label="Users" className="-my-3 divide-y divide-slate-100">
          {users.data.map((u) => (
            <li key={u.id} className="flex flex-wrap items-center justify-between gap-x-4 gap-y-2 py-3">
              <div className="min-w-0">
                <p className="flex flex-wrap items-center gap-2 font-medium text-slate-900">
                  <span className="break-all">{u.name}</span>
                  {u.you && <span className="text-xs font-normal text-slate-500">(you)</span>}
                  <StatusBadge status={u.status} />
                </p>
                <p className="text-sm break-all text-slate-500">{u.email}</p>
                <p className="text-xs text-slate-500">Added {formatDateTime(u.createdAt)}</p>
              </div>
              <div className="flex flex-wrap items-center gap-2">
                <RoleSelect
                  label={`Role of ${u.email}`}
                  value={u.role}
                  onChange={(role) => {
                    reset();
                    setRole.mutate({ id: u.id, role });
                  }}
                />
                {u.status === 'disabled' ? (
                  <Button
                    variant="secondary"
                    size="sm"
                    disabled={enable.isPending}
                    onClick={() => {
                      reset();
                      enable.mutate({ id: u.id });
                    }}
                    aria-label={`Enable ${u.email}`}
                  >
                    Enable
                  </Button>
                ) : (
                  !u.you && (
                    <Button
                      variant="secondary"
                      size="sm"
                      onClick={() => {
                        reset();
                        setPending({ kind: 'disable', user: u });
                      }}
                      aria-label={`Disable ${u.email}`}
                    >
                      Disable
                    </Button>
                  )
                )}
                <Button
                  variant="danger"
                  size="sm"
                  onClick={() => {
                    reset();
                    setPending({ kind: 'remove', user: u });
                  }}
                  aria-label={`Remove ${u.email}`}
                >
                  Remove
                </Button>
              </div>
            </li>
          ))}
        </ul>
      )}
      {error && !pending && (
        <p role="alert" className="mt-4 text-sm text-red-700">
          {error.message}
        </p>
      )}
      <ConfirmDialog
        open={pending?.kind === 'disable'}
        title={`Disable ${pending?.user.email ?? ''}?`}
        confirmLabel="Disable"
        pending={disable.isPending}
        error={disable.error?.message}
        onCancel={() => {
          setPending(undefined);
          disable.reset();
        }}
        onConfirm={() => pending && disable.mutate({ id: pending.user.id })}
      >
        <p>They are signed out everywhere at once and cannot sign in until an admin enables them again.</p>
        <p>Their account and role are kept; exports they started stay.</p>
      </ConfirmDialog>
      <ConfirmDialog
        open={pending?.kind === 'remove'}
        title={`Remove ${pending?.user.email ?? ''}?`}
        confirmLabel="Remove"
        pending={remove.isPending}
        error={remove.error?.message}
        onCancel={() => {
          setPending(undefined);
          remove.reset();
        }}
        onConfirm={() => pending && remove.mutate({ id: pending.user.id })}
      >
        <p>
          Their account is deleted and they are signed out everywhere at once. This cannot be undone: to let them back in, invite
          them again.
        </p>
        <p>{pending?.user.you ? 'This is you: you will be signed out.' : 'Exports they started stay.'}</p>
      </ConfirmDialog>
    </Card>
  );
}

const expiresIn = (invite: InviteView) => `Expires ${formatDateTime(invite.expiresAt)}`;

function PendingInvitesCard() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const invites = useQuery(trpc.users.invites.queryOptions());
  const revoke = useMutation(trpc.users.revokeInvite.mutationOptions({ onSettled: () => queryClient.invalidateQueries(trpc.users.invites.pathFilter()) }));
  return (
    <Card title="Pending invites" description="Links not used yet. Revoking one makes its link say it is not valid.">
      {invites.isPending ? (
        <p className="text-sm text-slate-500">Loading invites…</p>
      ) : invites.isError ? (
        <p role="alert" className="text-sm text-red-700">
          Could not load invites: {invites.error.message}
        </p>
      ) : invites.data.length === 0 ? (
        <p className="text-sm text-slate-500">No pending invites.</p>
      ) : (
        <ul aria-label="Pending invites" className="-my-3 divide-y divide-slate-100">
          {invites.data.map((invite) => (
            <li key={invite.id} className="flex flex-wrap items-center justify-between gap-x-4 gap-y-2 py-3">
              <div className="min-w-0">
                <p className="flex flex-wrap items-center gap-2 font-medium break-all text-slate-900">
                  {invite.email} <StatusBadge status={invite.status} />
                </p>
                <p className="text-sm text-slate-500">
                  {invite.role} · {expiresIn(invite)}
                  {invite.invitedBy && ` · invited by ${invite.invitedBy}`}
                </p>
              </div>
              <Button
                variant="danger"
                size="sm"
                disabled={revoke.isPending && revoke.variables?.id === invite.id}
                onClick={() => revoke.mutate({ id: invite.id })}
                aria-label={`Revoke the invite of ${invite.email}`}
              >
                Revoke
              </Button>
            </li>
          ))}
        </ul>
      )}
      {revoke.error && (
        <p role="alert" className="mt-4 text-sm text-red-700">
          {revoke.error.message}
        </p>
      )}
    </Card>
  );
}

function AddUserForm() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [email, setEmail] = useState('');
  const [name, setName] = useState('');
  const [role, setRole] = useState<Role>('viewer');
  const [password, setPassword] = useState('');
  const create = useMutation(
    trpc.users.create.mutationOptions({
      onSuccess: () => {
        setEmail('');
        setName('');
        setPassword('');
      },
      onSettled: () => queryClient.invalidateQueries(trpc.users.pathFilter()),
    }),
  );
  const submit = (event: FormEvent) => {
    event.preventDefault();
    create.mutate({ email, name: name || undefined, role, password });
  };
  return (
    <Card title="Add a user with a password" description="Give them their email and password yourself; they can change the password on their account page.">
      <form aria-label="Add user" onSubmit={submit} className="grid gap-4 sm:grid-cols-2">
        <TextField label="Email" type="email" required value={email} onChange={(e) => setEmail(e.target.value)} />
        <TextField label="Name" value={name} onChange={(e) => setName(e.target.value)} />
        <RoleSelect label="Role" value={role} onChange={setRole} wide />
        <NewPasswordField label="Password" value={password} onChange={(e) => setPassword(e.target.value)} />
        <div className="sm:col-span-2">
          {create.error && (
            <p role="alert" className="mb-2 text-sm text-red-700">
              {create.error.message}
            </p>
          )}
          {create.isSuccess && (
            <p role="status" className="mb-2 text-sm text-emerald-700">
              Added {create.data.email}.
            </p>
          )}
          <Button type="submit" disabled={create.isPending}>
            {create.isPending ? 'Adding…' : 'Add user'}
          </Button>
        </div>
      </form>
    </Card>
  );
}
