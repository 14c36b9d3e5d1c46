'use client';

import { useMutation, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useId, useRef, useState } from 'react';
import { useTRPC } from '@/app/_trpc/client';
import { formatDateTime } from '@/components/formatters';
import { Button } from '@/components/ui/button';
import { Card } from '@/components/ui/card';
import { TextField } from '@/components/ui/text-field';
import { type Role, RoleSelect } from './role-select';

/** How long a link may last (the server accepts 1 hour … 30 days); a week unless the admin picks another. */
const LIFETIMES = [
  { hours: 1, label: '1 hour' },
  { hours: 24, label: '1 day' },
  { hours: 72, label: '3 days' },
  { hours: 168, label: '7 days' },
  { hours: 336, label: '14 days' },
  { hours: 720, label: '30 days' },
] as const;
const DEFAULT_LIFETIME_HOURS = 168;

/** Invites someone: the server answers with a link, shown here once for the admin to copy and send (no email is sent). */
export function InviteForm() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [email, setEmail] = useState('');
  const [role, setRole] = useState<Role>('viewer');
  const [lifetimeHours, setLifetimeHours] = useState<number>(DEFAULT_LIFETIME_HOURS);
  const lifetimeId = useId();
  const invite = useMutation(
    trpc.users.invite.mutationOptions({
      onSuccess: () => setEmail(''),
      onSettled: () => queryClient.invalidateQueries(trpc.users.invites.pathFilter()),
    }),
  );
  const submit = (event: FormEvent) => {
    event.preventDefault();
    invite.mutate({ email, role, lifetimeHours });
  };
  return (
    <Card title="Invite someone" description="They get a link to choose their name and password. The link works once, until it expires.">
      <form aria-label="Invite" onSubmit={submit} className="grid gap-4 sm:grid-cols-3">
        <TextField label="Email" type="email" required value={email} onChange={(e) => setEmail(e.target.value)} className="sm:col-span-3" />
        <RoleSelect label="Role" value={role} onChange={setRole} wide />
        <div>
          <label htmlFor={lifetimeId} className="block text-sm font-medium text-slate-700">
            Link valid for
          </label>
          <select
            id={lifetimeId}
            value={lifetimeHours}
            onChange={(e) => setLifetimeHours(Number(e.target.value))}
            className="mt-1 block h-10 w-full rounded-lg border-0 bg-white px-3 text-sm text-slate-900 ring-1 ring-slate-300 ring-inset"
          >
            {LIFETIMES.map((l) => (
              <option key={l.hours} value={l.hours}>
                {l.label}
              </option>
            ))}
          </select>
        </div>
        <div className="flex items-end">
          <Button type="submit" disabled={invite.isPending} className="w-full sm:w-auto">
            {invite.isPending ? 'Creating link…' : 'Create invite link'}
          </Button>
        </div>
      </form>
      {invite.error && (
        <p role="alert" className="mt-4 text-sm text-red-700">
          {invite.error.message}
        </p>
      )}
      {invite.data && <InviteLink key={invite.data.link} email={invite.data.email} link={invite.data.link} expiresAt={invite.data.expiresAt} />}
    </Card>
  );
}

/** The new link with a copy button. The clipboard API needs a secure context (https or localhost): elsewhere the link is selected for Ctrl+C. */
function InviteLink({ email, link, expiresAt }: { email: string; link: string; expiresAt: string }) {
  const input = useRef<HTMLInputElement>(null);
  const [copied, setCopied] = useState<'copied' | 'select'>();
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(link);
      setCopied('copied');
    } catch {
      input.current?.focus();
      input.current?.select();
      setCopied('select');
    }
  };
  return (
    <div className="mt-4 rounded-lg bg-slate-50 p-4 ring-1 ring-slate-200">
      <p role="status" className="text-sm text-slate-700">
        Invite link for <span className="font-medium break-all text-slate-900">{email}</span>, valid until {formatDateTime(expiresAt)}.
      </p>
      <p className="mt-1 text-sm text-slate-600">It is shown only now: copy it and send it to them yourself.</p>
      <div className="mt-3 flex flex-wrap gap-2">
        <input
          ref={input}
          readOnly
          value={link}
          aria-label={`Invite link for ${email}`}
          onFocus={(e) => e.target.select()}
          className="h-10 min-w-0 flex-1 basis-60 rounded-lg border-0 bg-white px-3 font-mono text-xs text-slate-900 ring-1 ring-slate-300 ring-inset"
        />
        <Button variant="secondary" onClick={copy}>
          Copy link
        </Button>
      </div>
      <p aria-live="polite" className="mt-2 text-sm text-slate-600">
        {copied === 'copied' ? 'Copied.' : copied === 'select' ? 'The link is selected: press Ctrl+C (⌘C on a Mac) to copy it.' : ''}
      </p>
    </div>
  );
}
