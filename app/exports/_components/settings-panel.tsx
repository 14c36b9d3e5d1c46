'use client';

import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { useTRPC } from '@/app/_trpc/client';
import { Button } from '@/components/ui/button';
import { Card } from '@/components/ui/card';
import { TextField } from '@/components/ui/text-field';

/** The Notion request budget, changeable while exports run (they follow it within seconds). */
export function SettingsPanel() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const settings = useQuery(trpc.settings.get.queryOptions());
  const [draft, setDraft] = useState<string | null>(null);
  const update = useMutation(
    trpc.settings.update.mutationOptions({
      onSuccess: async () => {
        setDraft(null);
        await queryClient.invalidateQueries(trpc.settings.pathFilter());
      },
    }),
  );
  const value = draft ?? String(settings.data?.requestsPerSecond ?? '');
  const submit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const n = Number(value);
    if (Number.isFinite(n) && n > 0) update.mutate({ requestsPerSecond: n });
  };
  return (
    <Card title="Notion budget" description="Requests per second per integration; Notion allows about 3. Running exports follow a change within seconds.">
      <form onSubmit={submit} className="flex items-end gap-3" aria-label="Notion budget">
        <TextField
          className="w-32"
          label="Requests per second"
          type="number"
          min="0.1"
          step="0.1"
          value={value}
          onChange={(e) => setDraft(e.target.value)}
        />
        <Button type="submit" variant="secondary" disabled={update.isPending || draft === null}>
          {update.isPending ? 'Saving…' : 'Save'}
        </Button>
      </form>
      {update.error && (
        <p role="alert" className="mt-2 text-sm text-red-700">
          {update.error.message}
        </p>
      )}
    </Card>
  );
}
