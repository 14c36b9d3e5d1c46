'use client';

import { useMutation, useQuery } from '@tanstack/react-query';
import Link from 'next/link';
import { type FormEvent, useState } from 'react';
import { useTRPC } from '@/app/_trpc/client';
import { formatDateTime } from '@/components/formatters';
import { postJson } from '@/components/post-json';
import { Button } from '@/components/ui/button';
import { NewPasswordField } from '@/components/ui/new-password-field';
import { TextField } from '@/components/ui/text-field';

/** Why a link cannot be used, and what to do about it. */
const REFUSED = {
  expired: { title: 'This invite link has expired', next: 'Ask the admin who invited you to send a new link.' },
  used: { title: 'This invite link has been used already', next: 'Sign in with the account it made, or ask an admin for a new link.' },
  unknown: {
    title: 'This invite link is not valid',
    next: 'It may have been revoked, replaced by a newer link, or copied incompletely. Ask an admin for a new link.',
  },
} as const;

/** Checks the link, then lets the invited person choose a name and password; signs them in and goes to the dashboard. */
export function AcceptInviteForm({ token }: { token: string }) {
  const trpc = useTRPC();
  // Checked once: after accepting, the link is used, and the form must not turn into that message.
  const check = useQuery(trpc.invites.check.queryOptions({ token }, { retry: false, staleTime: Number.POSITIVE_INFINITY }));
  if (check.isPending) {
    return (
      <p role="status" className="mt-4 text-sm text-slate-500">
        Checking your invite link…
      </p>
    );
  }
  if (check.isError) {
    return (
      <div role="alert" className="mt-4 space-y-2 text-sm">
        <p className="text-red-700">Could not check the invite link: {check.error.message}</p>
        <p className="text-slate-600">Reload the page to try again.</p>
      </div>
    );
  }
  if (check.data.state !== 'valid') {
    const refused = REFUSED[check.data.state];
    return (
      <div role="alert" className="mt-4 space-y-2 rounded-lg bg-amber-50 p-4 text-sm ring-1 ring-amber-600/30">
        <p className="font-medium text-amber-900">{refused.title}</p>
        <p className="text-amber-900">{refused.next}</p>
        {check.data.state === 'used' && (
          <p>
            <Link href="/sign-in" className="font-medium text-slate-900 underline underline-offset-2">
              Go to sign-in
            </Link>
          </p>
        )}
      </div>
    );
  }
  return <ChooseAccountForm token={token} email={check.data.email} role={check.data.role} expiresAt={check.data.expiresAt} />;
}

function ChooseAccountForm({ token, email, role, expiresAt }: { token: string; email: string; role: string; expiresAt: string }) {
  const trpc = useTRPC();
  const [name, setName] = useState('');
  const [password, setPassword] = useState('');
  const [again, setAgain] = useState('');
  const [mismatch, setMismatch] = useState(false);
  /** The account exists but signing in failed (too many attempts, say): the person signs in by hand. */
  const [signInFailed, setSignInFailed] = useState(false);
  const accept = useMutation(
    trpc.invites.accept.mutationOptions({
      onSuccess: async (account, sent) => {
        const signedIn = await postJson('/api/auth/sign-in/email', { email: account.email, password: sent.password });
        // A full load: the dashboard checks the new session on the server.
        if (signedIn.ok) window.location.assign('/');
        else setSignInFailed(true);
      },
    }),
  );
  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (password !== again) {
      setMismatch(true);
      return;
    }
    setMismatch(false);
    accept.mutate({ token, name: name || undefined, password });
  };
  if (signInFailed) {
    return (
      <div role="status" className="mt-4 space-y-2 text-sm text-slate-700">
        <p>Your account is ready, but signing you in did not work just now.</p>
        <p>
          <Link href="/sign-in" className="font-medium text-slate-900 underline underline-offset-2">
            Sign in
          </Link>{' '}
          with {email} and the password you chose.
        </p>
      </div>
    );
  }
  const done = accept.isSuccess;
  return (
    <>
      <p className="mt-2 text-sm text-slate-600">
        You are invited as <span className="font-medium text-slate-900">{role}</span>. Choose your name and a password; the link
        works until {formatDateTime(expiresAt)}.
      </p>
      <form aria-label="Accept invite" onSubmit={submit} className="mt-6 space-y-4">
        <TextField label="Email" type="email" autoComplete="username" value={email} readOnly />
        <TextField label="Name" autoComplete="name" maxLength={100} value={name} onChange={(e) => setName(e.target.value)} />
        <NewPasswordField label="Password" value={password} onChange={(e) => setPassword(e.target.value)} />
        <TextField
          label="Password again"
          type="password"
          autoComplete="new-password"
          required
          value={again}
          onChange={(e) => setAgain(e.target.value)}
          error={mismatch ? 'The two passwords differ.' : undefined}
        />
        {accept.error && (
          <p role="alert" className="text-sm text-red-700">
            {accept.error.message}
          </p>
        )}
        <Button type="submit" disabled={accept.isPending || done} className="w-full">
          {accept.isPending ? 'Creating your account…' : done ? 'Signing you in…' : 'Create account and sign in'}
        </Button>
      </form>
    </>
  );
}
