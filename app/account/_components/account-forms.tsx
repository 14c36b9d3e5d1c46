'use client';

import { type FormEvent, useState } from 'react';
import { postJson } from '@/components/post-json';
import { Button } from '@/components/ui/button';
import { Card } from '@/components/ui/card';
import { TextField } from '@/components/ui/text-field';
import { NewPasswordField } from '@/components/ui/new-password-field';

type Outcome = { ok: true; text: string } | { ok: false; text: string };

function OutcomeText({ outcome }: { outcome?: Outcome }) {
  if (!outcome) return null;
  return (
    <p role={outcome.ok ? 'status' : 'alert'} className={outcome.ok ? 'text-sm text-emerald-700' : 'text-sm text-red-700'}>
      {outcome.text}
    </p>
  );
}

/** Password change (better-auth's change-password, other sessions signed out) and "sign out other sessions". */
export function AccountForms() {
  const [current, setCurrent] = useState('');
  const [next, setNext] = useState('');
  const [changed, setChanged] = useState<Outcome>();
  const [revoked, setRevoked] = useState<Outcome>();
  const [pending, setPending] = useState(false);

  const changePassword = async (event: FormEvent) => {
    event.preventDefault();
    setPending(true);
    const { status, body } = await postJson('/api/auth/change-password', { currentPassword: current, newPassword: next, revokeOtherSessions: true });
    const message = typeof body.message === 'string' ? body.message : undefined;
    setPending(false);
    if (status === 200) {
      setCurrent('');
      setNext('');
      setChanged({ ok: true, text: 'Password changed; your other sessions are signed out.' });
    } else {
      setChanged({ ok: false, text: status === 429 ? 'Too many attempts: wait a few seconds.' : (message ?? 'Could not change the password.') });
    }
  };

  const signOutOthers = async () => {
    const { status } = await postJson('/api/auth/revoke-other-sessions', {});
    setRevoked(status === 200 ? { ok: true, text: 'Your other sessions are signed out.' } : { ok: false, text: 'Could not sign out the other sessions.' });
  };

  return (
    <>
      <Card title="Change password">
        <form aria-label="Change password" onSubmit={changePassword} className="space-y-4">
          <TextField
            label="Current password"
            type="password"
            autoComplete="current-password"
            required
            value={current}
            onChange={(e) => setCurrent(e.target.value)}
          />
          <NewPasswordField label="New password" value={next} onChange={(e) => setNext(e.target.value)} />
          <OutcomeText outcome={changed} />
          <Button type="submit" disabled={pending}>
            {pending ? 'Changing…' : 'Change password'}
          </Button>
        </form>
      </Card>
      <Card title="Sessions" description="Signed in on another device you no longer use?">
        <div className="space-y-3">
          <Button variant="secondary" onClick={signOutOthers}>
            Sign out other sessions
          </Button>
          <OutcomeText outcome={revoked} />
        </div>
      </Card>
    </>
  );
}
