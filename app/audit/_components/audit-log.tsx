'use client';

import { useInfiniteQuery } from '@tanstack/react-query';
import { type FormEvent, useId, useState } from 'react';
import { useTRPC } from '@/app/_trpc/client';
import type { RouterInputs, RouterOutputs } from '@/app/_trpc/types';
import { formatDateTime } from '@/components/formatters';
import { Badge } from '@/components/ui/badge';
import { Button } from '@/components/ui/button';
import { Card } from '@/components/ui/card';
import { TextField } from '@/components/ui/text-field';
import { ACTION_GROUPS, actionFilter, dayBoundary, describeAction, describeDetailValue } from './audit-actions';

type AuditEntry = RouterOutputs['audit']['list']['entries'][number];
type AuditFilters = Omit<RouterInputs['audit']['list'], 'cursor' | 'limit'>;

const PAGE_SIZE = 50;
const TARGET_TYPES = ['export', 'connection', 'user', 'invite', 'settings'] as const;

interface FilterForm {
  action: string;
  actorEmail: string;
  outcome: '' | 'ok' | 'refused';
  targetType: '' | (typeof TARGET_TYPES)[number];
  from: string;
  to: string;
}
const NO_FILTERS: FilterForm = { action: '', actorEmail: '', outcome: '', targetType: '', from: '', to: '' };

/** The form's fields as audit.list takes them (empty fields are no filter). */
function filtersOf(form: FilterForm): AuditFilters {
  return {
    action: actionFilter(form.action),
    actorEmail: form.actorEmail.trim() || undefined,
    outcome: form.outcome || undefined,
    targetType: form.targetType || undefined,
    from: dayBoundary(form.from, 'start'),
    to: dayBoundary(form.to, 'end'),
  };
}

/** The audit log with its filters; 50 entries at a time, "Load more" for the next ones. */
export function AuditLog() {
  const trpc = useTRPC();
  const [form, setForm] = useState<FilterForm>(NO_FILTERS);
  const [applied, setApplied] = useState<AuditFilters>({});
  const log = useInfiniteQuery(
    trpc.audit.list.infiniteQueryOptions({ ...applied, limit: PAGE_SIZE }, { getNextPageParam: (page) => page.nextCursor ?? undefined }),
  );
  const entries = log.data?.pages.flatMap((page) => page.entries) ?? [];
  const filtered = Object.values(applied).some((value) => value !== undefined);
  // Read before the branches below narrow `log` to a successful query.
  const loadMoreError = log.isFetchNextPageError ? log.error.message : undefined;
  const submit = (event: FormEvent) => {
    event.preventDefault();
    setApplied(filtersOf(form));
  };
  const clear = () => {
    setForm(NO_FILTERS);
    setApplied({});
  };
  return (
    <>
      <Card title="Filters">
        <AuditFiltersForm form={form} onChange={setForm} onSubmit={submit} onClear={clear} />
      </Card>
      <Card title="Entries">
        {log.isPending ? (
          <p role="status" className="text-sm text-slate-500">
            Loading the audit log…
          </p>
        ) : log.isError ? (
          <p role="alert" className="text-sm text-red-700">
            Could not load the audit log: {log.error.message}
          </p>
        ) : entries.length === 0 ? (
          <p className="text-sm text-slate-500">{filtered ? 'No entries match these filters.' : 'Nothing recorded yet.'}</p>
        ) : (
          <>
            <ol aria-label="Audit entries" className="-my-3 divide-y divide-slate-100">
              {entries.map((entry) => (
                <AuditEntryRow key={entry.position} entry={entry} />
              ))}
            </ol>
            <div className="mt-4 flex flex-wrap items-center gap-3 border-t border-slate-100 pt-4">
              {log.hasNextPage ? (
                <Button variant="secondary" onClick={() => log.fetchNextPage()} disabled={log.isFetchingNextPage}>
                  {log.isFetchingNextPage ? 'Loading…' : 'Load more'}
                </Button>
              ) : (
                <p className="text-sm text-slate-500">That is everything{filtered ? ' that matches' : ''}.</p>
              )}
              {loadMoreError && (
                <p role="alert" className="text-sm text-red-700">
                  Could not load more: {loadMoreError}
                </p>
              )}
            </div>
          </>
        )}
      </Card>
    </>
  );
}

function AuditFiltersForm({
  form,
  onChange,
  onSubmit,
  onClear,
}: {
  form: FilterForm;
  onChange(form: FilterForm): void;
  onSubmit(event: FormEvent): void;
  onClear(): void;
}) {
  const id = useId();
  const set = <K extends keyof FilterForm>(key: K, value: FilterForm[K]) => onChange({ ...form, [key]: value });
  const selectClasses = 'mt-1 block h-10 w-full rounded-lg border-0 bg-white px-3 text-sm text-slate-900 ring-1 ring-slate-300 ring-inset';
  const labelClasses = 'block text-sm font-medium text-slate-700';
  return (
    <form aria-label="Filter the audit log" onSubmit={onSubmit} className="grid gap-4 sm:grid-cols-2 lg:grid-cols-3">
      <div>
        <label htmlFor={`${id}-action`} className={labelClasses}>
          Action
        </label>
        <select id={`${id}-action`} value={form.action} onChange={(e) => set('action', e.target.value)} className={selectClasses}>
          <option value="">Every action</option>
          {ACTION_GROUPS.map((group) => (
            <optgroup key={group.id} label={group.label}>
              <option value={`group:${group.id}`}>All: {group.label.toLowerCase()}</option>
              {Object.entries(group.actions).map(([action, name]) => (
                <option key={action} value={action}>
                  {name}
                </option>
              ))}
            </optgroup>
          ))}
        </select>
      </div>
      <TextField label="Who (email)" type="search" value={form.actorEmail} onChange={(e) => set('actorEmail', e.target.value)} hint="Part of an email; cli for the command line." />
      <div>
        <label htmlFor={`${id}-outcome`} className={labelClasses}>
          Outcome
        </label>
        <select id={`${id}-outcome`} value={form.outcome} onChange={(e) => set('outcome', e.target.value as FilterForm['outcome'])} className={selectClasses}>
          <option value="">Any</option>
          <option value="ok">Done</option>
          <option value="refused">Refused</option>
        </select>
      </div>
      <div>
        <label htmlFor={`${id}-target`} className={labelClasses}>
          About
        </label>
        <select id={`${id}-target`} value={form.targetType} onChange={(e) => set('targetType', e.target.value as FilterForm['targetType'])} className={selectClasses}>
          <option value="">Anything</option>
          {TARGET_TYPES.map((type) => (
            <option key={type} value={type}>
              {type === 'settings' ? 'Settings' : `${type[0]?.toUpperCase()}${type.slice(1)}s`}
            </option>
          ))}
        </select>
      </div>
      <TextField label="From (day)" type="date" value={form.from} onChange={(e) => set('from', e.target.value)} />
      <TextField label="To (day)" type="date" value={form.to} onChange={(e) => set('to', e.target.value)} />
      <div className="flex flex-wrap gap-2 sm:col-span-2 lg:col-span-3">
        <Button type="submit">Apply filters</Button>
        <Button variant="ghost" onClick={onClear}>
          Clear
        </Button>
      </div>
    </form>
  );
}

function AuditEntryRow({ entry }: { entry: AuditEntry }) {
  const detail = Object.entries(entry.detail);
  return (
    <li className="grid gap-1 py-3 sm:grid-cols-[11rem_1fr] sm:gap-4">
      <p className="text-sm text-slate-500">
        <time dateTime={entry.at}>{formatDateTime(entry.at)}</time>
      </p>
      <div className="min-w-0 space-y-1">
        <p className="flex flex-wrap items-center gap-2 text-sm">
          <span className="font-medium text-slate-900">{describeAction(entry.action)}</span>
          {entry.outcome === 'refused' && <Badge tone="danger">Refused</Badge>}
        </p>
        <p className="text-sm break-all text-slate-600">
          <span className="sr-only">By </span>
          {entry.actorEmail ?? 'someone not signed in'}
          {entry.address && (
            <>
              {' · from '}
              <span className="font-mono text-xs">{entry.address}</span>
            </>
          )}
          {entry.targetType && (
            <>
              {' · '}
              {entry.targetType} <span className="font-mono text-xs">{entry.targetId}</span>
            </>
          )}
        </p>
        {detail.length > 0 && (
          <dl className="flex flex-wrap gap-x-4 gap-y-1 text-xs text-slate-600">
            {detail.map(([key, value]) => (
              <div key={key} className="flex min-w-0 gap-1">
                <dt className="text-slate-500">{key}:</dt>
                <dd className="break-all text-slate-700">{describeDetailValue(value)}</dd>
              </div>
            ))}
          </dl>
        )}
      </div>
    </li>
  );
}
