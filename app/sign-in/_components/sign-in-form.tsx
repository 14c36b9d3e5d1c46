'use client';

import { type FormEvent, useState } from 'react';
import { postJson } from '@/components/post-json';
import { Button } from '@/components/ui/button';
import { TextField } from '@/components/ui/text-field';

/** What a refused sign-in means, in words (never whether the email exists). */
function refusal(status: number, message: unknown): string {
  if (status === 401) return 'The email or the password is wrong.';
  if (status === 429) return 'Too many attempts: wait a few seconds, then try again.';
  if (status === 403 && typeof message === 'string') return message;
  return 'Could not sign in; try again.';
}

/** Email + password against better-auth (POST /api/auth/sign-in/email); then on to `next`. */
export function SignInForm({ next }: { next: string }) {
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [error, setError] = useState<string>();
  const [pending, setPending] = useState(false);
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setPending(true);
    setError(undefined);
    const answer = await postJson('/api/auth/sign-in/email', { email, password });
    if (answer.ok) {
      // A full load: the pages check the new session on the server.
      window.location.assign(next);
      return;
    }
    setError(answer.status === 0 ? 'The server did not answer; try again.' : refusal(answer.status, answer.body.message));
    setPending(false);
  };
  return (
    <form aria-label="Sign in" onSubmit={submit} className="mt-6 space-y-4">
      <TextField label="Email" type="email" autoComplete="username" required value={email} onChange={(e) => setEmail(e.target.value)} />
      <TextField
        label="Password"
        type="password"
        autoComplete="current-password"
        required
        value={password}
        onChange={(e) => setPassword(e.target.value)}
      />
      {error && (
        <p role="alert" className="text-sm text-red-700">
          {error}
        </p>
      )}
      <Button type="submit" disabled={pending} className="w-full">
        {pending ? 'Signing in…' : 'Sign in'}
      </Button>
    </form>
  );
}
