'use client';

import { useState } from 'react';
import { postJson } from '@/components/post-json';
import { Button } from '@/components/ui/button';

/**
 * "Sign in with <provider>": asks better-auth for the provider's sign-in address
 * (POST /api/auth/sign-in/social, which also records the state and the PKCE verifier) and goes
 * there. Back from the provider, better-auth sends the browser to `next`, or to this page with an
 * `error` when sign-in was refused.
 */
export function SingleSignOnButton({ providerId, displayName, next }: { providerId: string; displayName: string; next: string }) {
  const [error, setError] = useState<string>();
  const [pending, setPending] = useState(false);
  const start = async () => {
    setPending(true);
    setError(undefined);
    const answer = await postJson('/api/auth/sign-in/social', {
      provider: providerId,
      callbackURL: next,
      errorCallbackURL: `/sign-in?next=${encodeURIComponent(next)}`,
      disableRedirect: true,
    });
    if (answer.ok && typeof answer.body.url === 'string') {
      window.location.assign(answer.body.url);
      return;
    }
    if (answer.status === 0) setError('The server did not answer; try again.');
    else if (answer.status === 429) setError('Too many attempts: wait a few seconds, then try again.');
    else setError(`Could not reach ${displayName}; try again, or sign in with your email and password.`);
    setPending(false);
  };
  return (
    <div className="mt-6 space-y-2">
      <Button variant="secondary" onClick={start} disabled={pending} className="w-full">
        <span className="min-w-0 truncate">{pending ? `Opening ${displayName}…` : `Sign in with ${displayName}`}</span>
      </Button>
      {error && (
        <p role="alert" className="text-sm text-red-700">
          {error}
        </p>
      )}
    </div>
  );
}
