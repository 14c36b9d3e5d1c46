'use client';

import { useState } from 'react';
import { postJson } from './post-json';
import { Button } from './ui/button';

/** Ends this browser's session (better-auth's sign-out) and goes to the sign-in page. */
export function SignOutButton() {
  const [pending, setPending] = useState(false);
  const [failed, setFailed] = useState(false);
  const signOut = async () => {
    setPending(true);
    setFailed(false);
    if ((await postJson('/api/auth/sign-out', {})).ok) {
      window.location.assign('/sign-in');
      return;
    }
    setPending(false);
    setFailed(true);
  };
  return (
    <>
      <Button variant="ghost" size="sm" onClick={signOut} disabled={pending}>
        {pending ? 'Signing out…' : 'Sign out'}
      </Button>
      {failed && (
        <span role="alert" className="text-xs text-red-700">
          Could not sign out; try again.
        </span>
      )}
    </>
  );
}
