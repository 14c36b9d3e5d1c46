'use client';

import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { useTRPC } from '@/app/_trpc/client';
import { Button } from '@/components/ui/button';
import { Card } from '@/components/ui/card';
import { TextField } from '@/components/ui/text-field';
import { NewPasswordField } from '@/components/ui/new-password-field';

const ROLES = ['viewer', 'operator', 'admin'] as const;
type Role = (typeof ROLES)[number];

/** Everyone who may sign in, their roles, and a form to add someone (admins only; the server checks). */
export function UsersPanel() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const users = useQuery(trpc.users.list.queryOptions());
  const refresh = { onSettled: () => queryClient.invalidateQueries(trpc.users.pathFilter()) };
  const setRole = useMutation(trpc.users.setRole.mutationOptions(refresh));
  const remove = useMutation(trpc.users.remove.mutationOptions(refresh));
  const error = setRole.error ?? remove.error;
  return (
    <>
      <Card title="People">
        {users.isPending ? (
          <p className="text-sm text-slate-500">Loading users…</p>
        ) : users.isError ? (
          <p role="alert" className="text-sm text-red-700">
            Could not load users: {users.error.message}
          </p>
        ) : (
          <ul aria-label="Users" className="divide-y divide-slate-100">
            {users.data.map((u) => (
              <li key={u.id} className="flex flex-wrap items-center justify-between gap-3 py-3">
                <div>
                  <p className="font-medium text-slate-900">
                    {u.name} {u.you && <span className="text-xs text-slate-500">(you)</span>}
                  </p>
                  <p className="text-sm text-slate-500">{u.email}</p>
                </div>
                <div className="flex items-center gap-2">
                  <label className="sr-only" htmlFor={`role-${u.id}`}>
                    Role of {u.email}
                  </label>
                  <select
                    id={`role-${u.id}`}
                    value={u.role ?? ''}
                    onChange={(e) => setRole.mutate({ id: u.id, role: e.target.value as Role })}
                    className="h-8 rounded-lg border-0 bg-white px-2 text-sm ring-1 ring-slate-300 ring-inset"
                  >
                    {u.role === null && <option value="">no role</option>}
                    {ROLES.map((role) => (
                      <option key={role} value={role}>
                        {role}
                      </option>
                    ))}
                  </select>
                  <Button variant="danger" size="sm" onClick={() => remove.mutate({ id: u.id })} aria-label={`Remove ${u.email}`}>
                    Remove
                  </Button>
                </div>
              </li>
            ))}
          </ul>
        )}
        {error && (
          <p role="alert" className="mt-3 text-sm text-red-700">
            {error.message}
          </p>
        )}
      </Card>
      <AddUserForm />
    </>
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
    <Card title="Add a user" description="Give them their email and password yourself; they can change the password on their account page.">
      <form aria-label="Add user" onSubmit={submit} className="grid gap-4 sm:grid-cols-2">
        <TextField label="Email" type="email" required value={email} onChange={(e) => setEmail(e.target.value)} />
        <TextField label="Name" value={name} onChange={(e) => setName(e.target.value)} />
        <div>
          <label htmlFor="new-user-role" className="block text-sm font-medium text-slate-700">
            Role
          </label>
          <select
            id="new-user-role"
            value={role}
            onChange={(e) => setRole(e.target.value as Role)}
            className="mt-1 block h-10 w-full rounded-lg border-0 bg-white px-3 text-sm ring-1 ring-slate-300 ring-inset"
          >
            {ROLES.map((r) => (
              <option key={r} value={r}>
                {r}
              </option>
            ))}
          </select>
        </div>
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
