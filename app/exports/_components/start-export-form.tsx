'use client';

import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useRouter } from 'next/navigation';
import { type FormEvent, useId, useState } from 'react';
import { useTRPC } from '@/app/_trpc/client';
import type { ExportFormat } from '@/app/_trpc/types';
import { Button } from '@/components/ui/button';
import { Card } from '@/components/ui/card';
import { exportShortName } from './export-identity';

const FORMATS: { value: ExportFormat; label: string; hint: string }[] = [
  { value: 'markdown', label: 'Markdown', hint: 'One .md file per page, properties as front matter' },
  { value: 'html', label: 'HTML', hint: 'Standalone pages to read in any browser, offline' },
  { value: 'json', label: 'JSON', hint: 'Raw Notion objects, for re-import or scripts' },
  { value: 'csv', label: 'CSV', hint: 'One table per database, for spreadsheets' },
];

/** Starts an export of one connection's workspace and opens its progress page. */
export function StartExportForm() {
  const trpc = useTRPC();
  const router = useRouter();
  const queryClient = useQueryClient();
  const selectId = useId();
  const connections = useQuery(trpc.connections.list.queryOptions());
  const [chosen, setChosen] = useState('');
  const [formats, setFormats] = useState<ExportFormat[]>(FORMATS.map((f) => f.value));
  const [naming, setNaming] = useState<'notion' | 'clean'>('notion');
  const [downloadExternal, setDownloadExternal] = useState(false);
  // Offered while the downloadExternalFiles feature flag is on (exports honour the flag too).
  const settings = useQuery(trpc.settings.get.queryOptions());
  const externalOffered = settings.data?.flags.downloadExternalFiles === true;
  const start = useMutation(
    trpc.exports.start.mutationOptions({
      onSuccess: async ({ id }) => {
        await queryClient.invalidateQueries(trpc.exports.pathFilter());
        router.push(`/exports/${id}`);
      },
    }),
  );

  const list = connections.data ?? [];
  // Default to the newest connection until the user picks one.
  const connectionId = list.some((c) => c.id === chosen) ? chosen : (list[0]?.id ?? '');
  // One export of a connection runs at a time: a new one waits for those already queued or running.
  const ahead = useQuery(
    trpc.exports.list.queryOptions({ connectionId, status: ['queued', 'running'] }, { enabled: connectionId !== '', refetchInterval: 5_000 }),
  );
  const running = connectionId ? (ahead.data?.find((e) => e.status === 'running') ?? ahead.data?.[0]) : undefined;

  const toggle = (format: ExportFormat, on: boolean) =>
    setFormats((current) => (on ? [...new Set([...current, format])] : current.filter((f) => f !== format)));

  const submit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    if (!connectionId || formats.length === 0) return;
    start.mutate({ connectionId, formats, options: { naming, downloadExternal: externalOffered && downloadExternal } });
  };

  return (
    <Card title="Start export" description="Exports every page and database the integration can see.">
      <form onSubmit={submit} aria-label="Start export" className="space-y-4">
        <div>
          <label htmlFor={selectId} className="block text-sm font-medium text-slate-700">
            Connection
          </label>
          <select
            id={selectId}
            value={connectionId}
            onChange={(e) => setChosen(e.target.value)}
            disabled={list.length === 0}
            className="mt-1 block h-10 w-full rounded-lg border-0 bg-white px-3 text-sm text-slate-900 shadow-sm ring-1 ring-inset ring-slate-300 focus:ring-2 focus:ring-slate-900 focus:outline-none disabled:bg-slate-50 disabled:text-slate-500"
          >
            {list.length === 0 && <option value="">{connections.isPending ? 'Loading…' : 'Add a connection first'}</option>}
            {list.map((c) => (
              <option key={c.id} value={c.id}>
                {c.name}
                {c.workspaceName && c.workspaceName !== c.name ? ` (${c.workspaceName})` : ''}
              </option>
            ))}
          </select>
        </div>
        <fieldset>
          <legend className="text-sm font-medium text-slate-700">Formats</legend>
          <div className="mt-2 grid gap-2 sm:grid-cols-2">
            {FORMATS.map((f) => (
              <label
                key={f.value}
                className="flex cursor-pointer items-start gap-3 rounded-lg p-3 ring-1 ring-inset ring-slate-200 has-checked:bg-slate-50 has-checked:ring-slate-400"
              >
                <input
                  type="checkbox"
                  className="mt-0.5 size-4 accent-slate-900"
                  checked={formats.includes(f.value)}
                  onChange={(e) => toggle(f.value, e.target.checked)}
                  aria-labelledby={`${selectId}-${f.value}`}
                  aria-describedby={`${selectId}-${f.value}-hint`}
                />
                <span>
                  <span id={`${selectId}-${f.value}`} className="block text-sm font-medium text-slate-900">
                    {f.label}
                  </span>
                  <span id={`${selectId}-${f.value}-hint`} className="block text-xs text-slate-500">
                    {f.hint}
                  </span>
                </span>
              </label>
            ))}
          </div>
          {formats.length === 0 && <p className="mt-2 text-xs text-red-700">Choose at least one format.</p>}
        </fieldset>
        <fieldset className="space-y-2">
          <legend className="text-sm font-medium text-slate-700">Options</legend>
          <label className="flex items-center gap-2 text-sm text-slate-700">
            <span>File names</span>
            <select
              value={naming}
              onChange={(e) => setNaming(e.target.value as 'notion' | 'clean')}
              className="h-8 rounded-md bg-white px-2 text-sm ring-1 ring-inset ring-slate-300"
            >
              <option value="notion">Like Notion’s export: “Title &lt;id&gt;.md”</option>
              <option value="clean">Clean: “Title.md”</option>
            </select>
          </label>
          {externalOffered && (
            <label className="flex items-center gap-2 text-sm text-slate-700">
              <input
                type="checkbox"
                className="size-4 accent-slate-900"
                checked={downloadExternal}
                onChange={(e) => setDownloadExternal(e.target.checked)}
              />
              Also download externally linked files
            </label>
          )}
        </fieldset>
        {running && (
          <p role="status" className="rounded-lg bg-amber-50 px-3 py-2 text-sm text-amber-900 ring-1 ring-inset ring-amber-200" data-testid="will-queue">
            {exportShortName(running.id)} of this connection is {running.status === 'running' ? 'running' : 'queued'}
            {ahead.data && ahead.data.length > 1 ? ` (with ${ahead.data.length - 1} more waiting)` : ''}. A new export will
            queue and start when {ahead.data && ahead.data.length > 1 ? 'they finish' : 'it finishes'}.
          </p>
        )}
        <div className="flex items-center gap-3">
          <Button type="submit" disabled={!connectionId || formats.length === 0 || start.isPending || start.isSuccess}>
            {start.isPending || start.isSuccess ? 'Starting…' : 'Start export'}
          </Button>
        </div>
        {start.error && (
          <p role="alert" className="rounded-lg bg-red-50 px-3 py-2 text-sm text-red-800 ring-1 ring-inset ring-red-200">
            {start.error.message}
          </p>
        )}
      </form>
    </Card>
  );
}
