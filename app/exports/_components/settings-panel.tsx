'use client';

import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { useTRPC } from '@/app/_trpc/client';
import type { RouterOutputs } from '@/app/_trpc/types';
import { Button } from '@/components/ui/button';
import { Card } from '@/components/ui/card';
import { TextField } from '@/components/ui/text-field';
import { WebhookTokens } from './webhook-tokens';

type Settings = RouterOutputs['settings']['get'];
type Field = 'requestsPerSecond' | 'pagesInFlight' | 'attachmentDownloads';

const FIELDS: { field: Field; label: string; hint: string; step: string; whole: boolean }[] = [
  {
    field: 'requestsPerSecond',
    label: 'Requests per second',
    hint: 'Per integration token. Running exports follow a change within seconds.',
    step: '0.1',
    whole: false,
  },
  {
    field: 'pagesInFlight',
    label: 'Pages at a time',
    hint: 'Pages and databases one export fetches at once. Running exports follow a change within seconds.',
    step: '1',
    whole: true,
  },
  {
    field: 'attachmentDownloads',
    label: 'Downloads at a time',
    hint: 'Attachments one export downloads at once. Running exports follow a change within seconds.',
    step: '1',
    whole: true,
  },
];

/** Why `text` is not a value of `field` within its bounds; undefined when it is one. */
function problemOf(text: string, field: (typeof FIELDS)[number], limits: Settings['limits']): string | undefined {
  const { min, max } = limits[field.field];
  const n = Number(text);
  if (text.trim() === '' || !Number.isFinite(n)) return 'Enter a number';
  if (field.whole && !Number.isInteger(n)) return 'Enter a whole number';
  if (n < min || n > max) return `Between ${min} and ${max}`;
  return undefined;
}

/** The Notion request budget and the concurrency of exports (admins). */
export function SettingsPanel() {
  const trpc = useTRPC();
  const settings = useQuery(trpc.settings.get.queryOptions());
  return (
    <Card title="Settings" description="How hard exports work Notion and this server.">
      {settings.isPending ? (
        <p className="text-sm text-slate-500">Loading settings…</p>
      ) : settings.isError ? (
        <p role="alert" className="text-sm text-red-700">
          Could not load the settings: {settings.error.message}
        </p>
      ) : (
        <SettingsForm settings={settings.data} />
      )}
      <FeatureFlags />
      <WebhookTokens enabled={settings.data?.flags.webhooks ?? false} />
    </Card>
  );
}

type Flag = RouterOutputs['settings']['flags'][number];

/** The feature flags (admins): each with what it does, its default, who owns it and when it goes. */
function FeatureFlags() {
  const trpc = useTRPC();
  const flags = useQuery(trpc.settings.flags.queryOptions());
  return (
    <section aria-labelledby="feature-flags-heading" className="mt-6 border-t border-slate-200 pt-4">
      <h3 id="feature-flags-heading" className="text-sm font-semibold text-slate-900">
        Feature flags
      </h3>
      <p className="mt-1 text-sm text-slate-500">Switches for features being rolled out. Every process follows a change within a few seconds.</p>
      {flags.isPending ? (
        <p className="mt-3 text-sm text-slate-500">Loading feature flags…</p>
      ) : flags.isError ? (
        <p role="alert" className="mt-3 text-sm text-red-700">
          Could not load the feature flags: {flags.error.message}
        </p>
      ) : flags.data.length === 0 ? (
        <p className="mt-3 text-sm text-slate-500">No feature flags at the moment.</p>
      ) : (
        <ul className="mt-3 space-y-3">
          {flags.data.map((flag) => (
            <FlagSwitch key={flag.name} flag={flag} />
          ))}
        </ul>
      )}
    </section>
  );
}

function FlagSwitch({ flag }: { flag: Flag }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const setFlag = useMutation(
    trpc.settings.setFlag.mutationOptions({
      onSuccess: async () => {
        await queryClient.invalidateQueries(trpc.settings.pathFilter());
      },
    }),
  );
  const id = `flag-${flag.name}`;
  return (
    <li className="rounded-lg p-3 ring-1 ring-inset ring-slate-200">
      <div className="flex items-start gap-3">
        <input
          id={id}
          type="checkbox"
          className="mt-0.5 size-4 shrink-0 accent-slate-900"
          checked={flag.enabled}
          disabled={setFlag.isPending}
          aria-describedby={`${id}-description`}
          onChange={(e) => setFlag.mutate({ name: flag.name, enabled: e.target.checked })}
        />
        <div className="min-w-0 text-sm">
          <label htmlFor={id} className="font-medium break-words text-slate-900">
            {flag.label} <span className="font-normal text-slate-600">({flag.enabled ? 'on' : 'off'})</span>
          </label>
          <code className="ml-2 text-xs text-slate-600">{flag.name}</code>
          <p id={`${id}-description`} className="mt-1 text-slate-600">
            {flag.description}
          </p>
          <dl className="mt-2 grid gap-1 text-slate-500 sm:grid-cols-[auto_1fr] sm:gap-x-3">
            <dt className="font-medium">Default</dt>
            <dd className="break-words">{flag.default ? 'on' : 'off'}</dd>
            <dt className="font-medium">Owner</dt>
            <dd className="break-words">{flag.owner}</dd>
            <dt className="font-medium">Removed</dt>
            <dd className="break-words">{flag.removal}</dd>
          </dl>
          <div aria-live="polite">
            {setFlag.isError && (
              <p role="alert" className="mt-2 text-red-700">
                Could not change it: {setFlag.error.message}
              </p>
            )}
          </div>
        </div>
      </div>
    </li>
  );
}

function SettingsForm({ settings }: { settings: Settings }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [draft, setDraft] = useState<Partial<Record<Field, string>>>({});
  const [checked, setChecked] = useState(false);
  const update = useMutation(
    trpc.settings.update.mutationOptions({
      onSuccess: async () => {
        setDraft({});
        setChecked(false);
        await queryClient.invalidateQueries(trpc.settings.pathFilter());
        await queryClient.invalidateQueries(trpc.overview.pathFilter());
      },
    }),
  );
  const textOf = (field: Field) => draft[field] ?? String(settings[field]);
  const changed = FIELDS.filter(({ field }) => draft[field] !== undefined && Number(draft[field]) !== settings[field]);
  const problems = Object.fromEntries(FIELDS.map((f) => [f.field, problemOf(textOf(f.field), f, settings.limits)])) as Record<
    Field,
    string | undefined
  >;
  const serverErrors: Partial<Record<Field, string[]>> = update.error?.data?.zodError?.fieldErrors ?? {};
  // The server's words for what the fields do not show (a refused value is shown at its field).
  const formError = update.error && Object.keys(serverErrors).length === 0 ? update.error.message : null;
  const budget = Number(textOf('requestsPerSecond'));
  const aboveAverage = problems.requestsPerSecond === undefined && budget > settings.notionAverageRate;

  const submit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    setChecked(true);
    if (changed.length === 0 || FIELDS.some(({ field }) => problems[field])) return;
    const patch: Partial<Record<Field, number>> = {};
    for (const { field } of changed) patch[field] = Number(textOf(field));
    update.mutate(patch);
  };
  const edit = (field: Field, value: string) => {
    update.reset();
    setDraft((d) => ({ ...d, [field]: value }));
  };

  return (
    <form onSubmit={submit} noValidate aria-label="Settings" className="space-y-4">
      <div className="grid gap-3 sm:grid-cols-3 lg:grid-cols-1">
        {FIELDS.map((f) => {
          const { min, max } = settings.limits[f.field];
          const error = (checked || draft[f.field] !== undefined ? problems[f.field] : undefined) ?? serverErrors[f.field]?.join(' ');
          return (
            <TextField
              key={f.field}
              label={f.label}
              hint={`${f.hint} ${min}–${max}.`}
              type="number"
              inputMode={f.whole ? 'numeric' : 'decimal'}
              min={min}
              max={max}
              step={f.step}
              required
              value={textOf(f.field)}
              onChange={(e) => edit(f.field, e.target.value)}
              error={error}
            />
          );
        })}
      </div>
      <div aria-live="polite" className="space-y-2 text-sm">
        {aboveAverage && (
          <p className="rounded-lg bg-amber-50 px-3 py-2 text-amber-900 ring-1 ring-inset ring-amber-200">
            Above Notion’s documented average of {settings.notionAverageRate} requests per second: Notion may answer with
            “rate limited”, and exports then slow down to what it accepts.
          </p>
        )}
        <p className="text-slate-500">Every process (this dashboard and each worker) follows a change within a few seconds.</p>
      </div>
      <div className="flex flex-wrap items-center gap-3">
        <Button type="submit" variant="secondary" disabled={update.isPending || changed.length === 0}>
          {update.isPending ? 'Saving…' : 'Save'}
        </Button>
        <div aria-live="polite" className="text-sm">
          {update.isSuccess && (
            <p role="status" className="font-medium text-emerald-700">
              Saved
            </p>
          )}
        </div>
      </div>
      {formError && (
        <p role="alert" className="text-sm text-red-700">
          {formError}
        </p>
      )}
    </form>
  );
}
