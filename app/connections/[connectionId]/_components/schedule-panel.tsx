'use client';

import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import Link from 'next/link';
import { type FormEvent, useEffect, useId, useState } from 'react';
import { useTRPC } from '@/app/_trpc/client';
import type { RouterOutputs } from '@/app/_trpc/types';
import { formatDateTime } from '@/components/formatters';
import { Badge } from '@/components/ui/badge';
import { Button } from '@/components/ui/button';
import { Card } from '@/components/ui/card';
import { TextField } from '@/components/ui/text-field';

type SchedulePage = RouterOutputs['schedules']['get'];
type SavedSchedule = NonNullable<SchedulePage['schedule']>;
type Description = SavedSchedule['description'];

/** Common schedules; anything else is typed as a cron expression. */
const PRESETS = [
  { cron: '0 * * * *', label: 'Every hour' },
  { cron: '0 2 * * *', label: 'Every day at 02:00' },
  { cron: '0 2 * * 1', label: 'Every Monday at 02:00' },
  { cron: '0 2 1 * *', label: 'On the 1st of each month at 02:00' },
  { cron: '*/15 * * * *', label: 'Every 15 minutes' },
] as const;
const CUSTOM = 'custom';

const selectClass =
  'mt-1 block h-10 w-full rounded-lg border-0 bg-white px-3 text-sm text-slate-900 shadow-sm ring-1 ring-inset ring-slate-300 focus:ring-2 focus:ring-slate-900 focus:outline-none disabled:bg-slate-50 disabled:text-slate-500';

/** `value` once it has stopped changing for `ms` (what is typed is checked when the typing pauses). */
export function useSettled<T>(value: T, ms = 300): T {
  const [settled, setSettled] = useState(value);
  useEffect(() => {
    const timer = setTimeout(() => setSettled(value), ms);
    return () => clearTimeout(timer);
  }, [value, ms]);
  return settled;
}

/** The browser's zone, known only in the browser (the server renders before it is). */
export function useBrowserTimeZone(): string | undefined {
  const [zone, setZone] = useState<string>();
  useEffect(() => setZone(Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC'), []);
  return zone;
}

/** The zones the browser knows, UTC first; read after mounting so the server's list never has to match. */
function useTimeZones(): string[] {
  const [zones, setZones] = useState<string[]>([]);
  useEffect(() => {
    const known = typeof Intl.supportedValuesOf === 'function' ? Intl.supportedValuesOf('timeZone') : [];
    setZones(['UTC', ...known.filter((z) => z !== 'UTC')]);
  }, []);
  return zones;
}

/** The connection's schedule: read by anyone signed in, changed by operators. */
export function SchedulePanel({ connectionId, canOperate }: { connectionId: string; canOperate: boolean }) {
  const trpc = useTRPC();
  const page = useQuery(trpc.schedules.get.queryOptions({ connectionId }));
  const browserZone = useBrowserTimeZone();
  const [said, setSaid] = useState<string>();
  return (
    <Card title="Schedule" description="When this connection syncs by itself. Each sync is a snapshot.">
      {page.isPending ? (
        <p className="text-sm text-slate-500">Loading the schedule…</p>
      ) : page.isError ? (
        <p role="alert" className="text-sm text-red-700">
          Could not load the schedule: {page.error.message}
        </p>
      ) : (
        <>
          <LastRun page={page.data} />
          {canOperate ? (
            browserZone && (
              <ScheduleForm
                // A saved change starts the form again from what was saved.
                key={String(page.data.schedule?.updatedAt ?? 'new')}
                connectionId={connectionId}
                saved={page.data.schedule}
                defaultZone={browserZone}
                onSaved={setSaid}
              />
            )
          ) : page.data.schedule ? (
            <ScheduleSummary schedule={page.data.schedule} />
          ) : (
            <p className="text-sm text-slate-500">No schedule: this connection syncs only when someone starts it. An operator can add one.</p>
          )}
          <p role="status" className="mt-2 text-sm text-emerald-700">
            {said}
          </p>
        </>
      )}
    </Card>
  );
}

function LastRun({ page }: { page: SchedulePage }) {
  if (!page.schedule) return null;
  return (
    <div className="mb-4 flex flex-wrap items-center gap-2 text-sm text-slate-600">
      <Badge tone={page.schedule.enabled ? 'success' : 'neutral'}>{page.schedule.enabled ? 'On' : 'Off'}</Badge>
      {page.lastRun ? (
        <span>
          Last scheduled sync{' '}
          <Link href={`/exports/${encodeURIComponent(page.lastRun.id)}`} className="font-medium text-slate-900 underline underline-offset-2">
            {formatDateTime(page.lastRun.requestedAt)}
          </Link>{' '}
          ({page.lastRun.status.replaceAll('_', ' ')})
        </span>
      ) : (
        <span>No scheduled sync yet.</span>
      )}
    </div>
  );
}

function NextRuns({ description }: { description: Description }) {
  return (
    <div className="text-sm">
      <p className="font-medium text-slate-900">{description.words}</p>
      <p className="mt-2 text-slate-500">Next runs</p>
      <ol aria-label="Next runs" className="mt-1 space-y-0.5 text-slate-700">
        {description.nextRuns.map((run) => (
          <li key={String(run.at)}>
            <time dateTime={String(run.at)}>{run.local}</time>
          </li>
        ))}
      </ol>
    </div>
  );
}

function ScheduleSummary({ schedule }: { schedule: SavedSchedule }) {
  return (
    <div className="space-y-2">
      <p className="font-mono text-xs text-slate-600">{schedule.cron}</p>
      <NextRuns description={schedule.description} />
    </div>
  );
}

interface ScheduleFormProps {
  connectionId: string;
  saved: SavedSchedule | null;
  defaultZone: string;
  /** What to tell once a change is saved (the form starts again from the saved schedule). */
  onSaved(message: string): void;
}

export function ScheduleForm({ connectionId, saved, defaultZone, onSaved }: ScheduleFormProps) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const presetId = useId();
  const zoneId = useId();
  const [cron, setCron] = useState(saved?.cron ?? '0 2 * * *');
  const [timezone, setTimezone] = useState(saved?.timezone ?? defaultZone);
  const [enabled, setEnabled] = useState(saved?.enabled ?? true);
  const zones = useTimeZones();
  const preset = PRESETS.find((p) => p.cron === cron.trim())?.cron ?? CUSTOM;

  // Settled as text: a new object each render would never settle.
  const checkedCron = useSettled(cron.trim());
  const checkedZone = useSettled(timezone);
  const description = useQuery({
    ...trpc.schedules.describe.queryOptions({ cron: checkedCron, timezone: checkedZone }),
    enabled: checkedCron !== '',
  });
  const refresh = () => queryClient.invalidateQueries(trpc.schedules.pathFilter());
  const save = useMutation(
    trpc.schedules.set.mutationOptions({
      onSuccess: async () => {
        onSaved('Schedule saved.');
        await refresh();
      },
    }),
  );
  const remove = useMutation(
    trpc.schedules.remove.mutationOptions({
      onSuccess: async () => {
        onSaved('Schedule removed.');
        await refresh();
      },
    }),
  );

  const submit = (event: FormEvent) => {
    event.preventDefault();
    // Formats and retention stay as saved (the retention form changes those).
    save.mutate({ connectionId, cron: cron.trim(), timezone, enabled });
  };
  const typedError = description.data?.ok === false ? description.data.message : undefined;

  return (
    <form onSubmit={submit} aria-label="Schedule" className="space-y-4">
      <div>
        <label htmlFor={presetId} className="block text-sm font-medium text-slate-700">
          Runs
        </label>
        <select id={presetId} value={preset} onChange={(e) => e.target.value !== CUSTOM && setCron(e.target.value)} className={selectClass}>
          {PRESETS.map((p) => (
            <option key={p.cron} value={p.cron}>
              {p.label}
            </option>
          ))}
          <option value={CUSTOM}>Custom (cron expression)</option>
        </select>
      </div>
      <TextField
        label="Cron expression"
        value={cron}
        onChange={(e) => setCron(e.target.value)}
        spellCheck={false}
        autoComplete="off"
        hint="Five fields: minute, hour, day of month, month, day of week. At most every 5 minutes."
        error={typedError}
      />
      <div>
        <label htmlFor={zoneId} className="block text-sm font-medium text-slate-700">
          Time zone
        </label>
        <select id={zoneId} value={timezone} onChange={(e) => setTimezone(e.target.value)} className={selectClass}>
          {(zones.includes(timezone) ? zones : [timezone, ...zones]).map((z) => (
            <option key={z} value={z}>
              {z.replaceAll('_', ' ')}
            </option>
          ))}
        </select>
      </div>
      <label className="flex items-center gap-2 text-sm text-slate-700">
        <input type="checkbox" className="size-4 accent-slate-900" checked={enabled} onChange={(e) => setEnabled(e.target.checked)} />
        On: sync at these times
      </label>
      <div aria-live="polite" className="min-h-6 rounded-lg bg-slate-50 px-3 py-2 ring-1 ring-inset ring-slate-200">
        {description.data?.ok ? (
          <NextRuns description={description.data.description} />
        ) : description.isError ? (
          <p className="text-sm text-red-700">Could not check it: {description.error.message}</p>
        ) : typedError ? (
          <p className="text-sm text-slate-600">Fix the expression to see its next runs.</p>
        ) : (
          <p className="text-sm text-slate-500">Checking…</p>
        )}
      </div>
      <div className="flex flex-wrap items-center gap-3">
        <Button type="submit" disabled={save.isPending || typedError !== undefined}>
          {save.isPending ? 'Saving…' : saved ? 'Save schedule' : 'Add schedule'}
        </Button>
        {saved && (
          <Button variant="danger" onClick={() => remove.mutate({ connectionId })} disabled={remove.isPending}>
            {remove.isPending ? 'Removing…' : 'Remove schedule'}
          </Button>
        )}
      </div>
      <div aria-live="polite" className="text-sm">
        {(save.error ?? remove.error) && (
          <p role="alert" className="text-red-700">
            {(save.error ?? remove.error)?.message}
          </p>
        )}
      </div>
    </form>
  );
}
