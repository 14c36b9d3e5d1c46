'use client';

import { type FormEvent, useState } from 'react';
import { postJson } from '@/components/post-json';
import { Button } from '@/components/ui/button';
import { TextField } from '@/components/ui/text-field';
import { NewPasswordField } from '@/components/ui/new-password-field';

/** Sends the setup token with the first admin's details; signed in on success. */
export function SetupForm({ token }: { token: string }) {
  const [email, setEmail] = useState('');
  const [name, setName] = useState('');
  const [password, setPassword] = useState('');
  const [again, setAgain] = useState('');
  const [error, setError] = useState<string>();
  const [pending, setPending] = useState(false);
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    if (password !== again) {
      setError('The two passwords differ.');
      return;
    }
    setPending(true);
    setError(undefined);
    const answer = await postJson('/api/setup', { token, email, name, password });
    if (answer.ok) {
      window.location.assign('/');
      return;
    }
    setError(typeof answer.body.error === 'string' ? answer.body.error : 'Could not create the admin; try again.');
    setPending(false);
  };
  return (
    <form aria-label="Create the first admin" onSubmit={submit} className="mt-6 space-y-4">
      <TextField label="Email" type="email" autoComplete="username" required value={email} onChange={(e) => setEmail(e.target.value)} />
      <TextField label="Name" autoComplete="name" value={name} onChange={(e) => setName(e.target.value)} />
      <NewPasswordField label="Password" value={password} onChange={(e) => setPassword(e.target.value)} />
      <TextField label="Password again" type="password" autoComplete="new-password" required value={again} onChange={(e) => setAgain(e.target.value)} />
      {error && (
        <p role="alert" className="text-sm text-red-700">
          {error}
        </p>
      )}
      <Button type="submit" disabled={pending} className="w-full">
        {pending ? 'Creating…' : 'Create admin and sign in'}
      </Button>
    </form>
  );
}
