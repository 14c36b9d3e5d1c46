'use client';

import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import Link from 'next/link';
import { type FormEvent, useState } from 'react';
import { useTRPC } from '@/app/_trpc/client';
import type { RouterOutputs } from '@/app/_trpc/types';
import { formatDateTime } from '@/components/formatters';
import { Badge } from '@/components/ui/badge';
import { Button } from '@/components/ui/button';
import { Card } from '@/components/ui/card';
import { ConfirmDialog } from '@/components/ui/confirm-dialog';
import { TextField } from '@/components/ui/text-field';
import { describeBytes } from '@/server/export/domain/export-status';
import { COUNTS, type Fields, fieldsOf, policyOf } from './retention-fields';
import { useBrowserTimeZone, useSettled } from './schedule-panel';

type SavedSchedule = NonNullable<RouterOutputs['schedules']['get']['schedule']>;
type Decision = RouterOutputs['schedules']['previewRetention']['decisions'][number];

/** Which snapshots are kept (restic's forget rules), previewed before anything is removed. */
export function RetentionPanel({ connectionId }: { connectionId: string }) {
  const trpc = useTRPC();
  const page = useQuery(trpc.schedules.get.queryOptions({ connectionId }));
  const browserZone = useBrowserTimeZone();
  const [said, setSaid] = useState<string>();
  return (
    <Card
      title="Retention"
      description="Which snapshots are kept, as restic's forget decides. A snapshot kept by any rule stays; pinned, unfinished and the newest always do."
    >
      {page.isPending || !browserZone ? (
        <p className="text-sm text-slate-500">Loading the policy…</p>
      ) : page.isError ? (
        <p role="alert" className="text-sm text-red-700">
          Could not load the policy: {page.error.message}
        </p>
      ) : (
        <RetentionForm
          // A saved policy starts the form again from it; a change of the schedule alone leaves what is typed.
          key={JSON.stringify(page.data.schedule?.retention ?? null)}
          connectionId={connectionId}
          saved={page.data.schedule}
          timezone={page.data.schedule?.timezone ?? browserZone}
          onDone={setSaid}
        />
      )}
      <p role="status" className="mt-2 text-sm text-emerald-700">
        {said}
      </p>
    </Card>
  );
}

interface RetentionFormProps {
  connectionId: string;
  saved: SavedSchedule | null;
  timezone: string;
  /** What to tell once a policy is saved or applied (the form may start again). */
  onDone(message: string): void;
}

export function RetentionForm({ connectionId, saved, timezone, onDone }: RetentionFormProps) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [fields, setFields] = useState(() => fieldsOf(saved?.retention));
  const [confirming, setConfirming] = useState(false);
  const parsed = policyOf(fields);
  // Compared as text: a new object each render would never settle.
  const parsedText = JSON.stringify(parsed);
  const settledText = useSettled(parsedText);
  const settled = JSON.parse(settledText) as typeof parsed;
  const preview = useQuery({
    ...trpc.schedules.previewRetention.queryOptions({ connectionId, timezone, policy: 'policy' in settled ? settled.policy : {} }),
    enabled: 'policy' in settled,
  });
  const refresh = () =>
    Promise.all([
      queryClient.invalidateQueries(trpc.schedules.pathFilter()),
      queryClient.invalidateQueries(trpc.snapshots.pathFilter()),
      queryClient.invalidateQueries(trpc.exports.pathFilter()),
    ]);
  const save = useMutation(
    trpc.schedules.set.mutationOptions({
      onSuccess: async () => {
        onDone('Policy saved: it is applied after each scheduled sync.');
        await refresh();
      },
    }),
  );
  const apply = useMutation(
    trpc.schedules.applyRetention.mutationOptions({
      onSuccess: async (result) => {
        setConfirming(false);
        onDone(
          `Removed ${result.removed.length} snapshot${result.removed.length === 1 ? '' : 's'} (${describeBytes(result.bytesRemoved)}).${
            result.failed.length > 0 ? ` ${result.failed.length} could not be removed: ${result.failed.map((f) => f.reason).join('; ')}` : ''
          }`,
        );
        await refresh();
      },
    }),
  );
  const set = (key: keyof Fields) => (value: string) => setFields((f) => ({ ...f, [key]: value }));
  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (!saved || !('policy' in parsed)) return;
    save.mutate({ connectionId, cron: saved.cron, timezone: saved.timezone, enabled: saved.enabled, retention: parsed.policy });
  };
  const removing = preview.data?.decisions.filter((d) => !d.keep) ?? [];
  const stale = preview.isFetching || settledText !== parsedText;

  return (
    <>
      <form onSubmit={submit} aria-label="Retention" className="space-y-4">
        <div className="grid gap-3 sm:grid-cols-2">
          {COUNTS.map((c) => (
            <TextField
              key={c.key}
              label={c.label}
              inputMode="numeric"
              placeholder="not used"
              value={fields[c.key]}
              onChange={(e) => set(c.key)(e.target.value)}
              hint={`${c.hint}; -1: all`}
              error={'invalid' in parsed && parsed.invalid === c.key ? 'Enter a whole number (-1 for all), or leave it empty' : undefined}
            />
          ))}
          <TextField
            label="Keep within"
            placeholder="not used"
            value={fields.keepWithin}
            onChange={(e) => set('keepWithin')(e.target.value)}
            spellCheck={false}
            hint="everything this close to the newest, such as 30d, 2w or 1y6m"
            error={'invalid' in parsed && parsed.invalid === 'keepWithin' ? 'Use years, months, weeks, days and hours such as 30d, 2w or 1y6m' : undefined}
          />
        </div>
        <p className="text-xs text-slate-500">Hours, days, weeks and months are counted in {timezone.replaceAll('_', ' ')}.</p>
        <RetentionPreview decisions={preview.data?.decisions} pending={preview.isPending && 'policy' in settled} error={preview.isError ? preview.error.message : undefined} />
        <div className="flex flex-wrap items-center gap-3">
          <Button type="submit" variant="secondary" disabled={!saved || save.isPending || !('policy' in parsed)}>
            {save.isPending ? 'Saving…' : 'Save policy'}
          </Button>
          <Button variant="danger" onClick={() => setConfirming(true)} disabled={stale || removing.length === 0 || !('policy' in parsed)}>
            Apply now…
          </Button>
          {!saved && <p className="text-xs text-slate-500">Add a schedule to keep the policy; applying it now works without one.</p>}
        </div>
        <div aria-live="polite" className="text-sm">
          {save.error && (
            <p role="alert" className="text-red-700">
              {save.error.message}
            </p>
          )}
        </div>
      </form>
      <ConfirmDialog
        open={confirming}
        title={`Remove ${removing.length} snapshot${removing.length === 1 ? '' : 's'}?`}
        confirmLabel="Remove snapshots"
        pendingLabel="Removing…"
        pending={apply.isPending}
        error={apply.error?.message}
        onCancel={() => setConfirming(false)}
        onConfirm={() => 'policy' in parsed && apply.mutate({ connectionId, timezone, policy: parsed.policy })}
      >
        <p>
          Their folders and records are deleted ({describeBytes(removing.reduce((sum, d) => sum + d.bytes, 0))} as they were written; files
          shared with kept snapshots stay). This cannot be undone; the audit log records it.
        </p>
      </ConfirmDialog>
    </>
  );
}

function RetentionPreview({ decisions, pending, error }: { decisions?: Decision[]; pending: boolean; error?: string }) {
  if (error) {
    return (
      <p role="alert" className="text-sm text-red-700">
        {error}
      </p>
    );
  }
  if (pending || !decisions) return <p className="text-sm text-slate-500">Working out what would be kept…</p>;
  if (decisions.length === 0) return <p className="text-sm text-slate-500">No snapshots yet: nothing to keep or remove.</p>;
  const removed = decisions.filter((d) => !d.keep).length;
  return (
    <div>
      <p className="text-sm font-medium text-slate-900" aria-live="polite">
        Keeps {decisions.length - removed}, removes {removed}
      </p>
      <ul aria-label="What the policy keeps and removes" className="mt-2 max-h-96 divide-y divide-slate-100 overflow-y-auto rounded-lg ring-1 ring-slate-200">
        {decisions.map((d) => (
          <li key={d.id} className="flex flex-wrap items-start justify-between gap-x-3 gap-y-1 px-3 py-2 text-sm">
            <div className="min-w-0">
              <Link href={`/exports/${encodeURIComponent(d.id)}`} className="font-medium text-slate-900 underline-offset-2 hover:underline">
                {formatDateTime(d.time)}
              </Link>
              <p className="text-xs break-words text-slate-500">
                {d.keep ? d.reasons.join(', ') : 'no rule keeps it'} · {d.trigger} · {describeBytes(d.bytes)}
              </p>
            </div>
            <Badge tone={d.keep ? 'success' : 'danger'}>{d.keep ? 'Kept' : 'Removed'}</Badge>
          </li>
        ))}
      </ul>
    </div>
  );
}
