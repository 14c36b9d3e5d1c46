import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { createTRPCClient, httpBatchLink } from '@trpc/client';
import { createTRPCOptionsProxy } from '@trpc/tanstack-react-query';
import { type ComponentProps, createElement, type ReactElement } from 'react';
import { renderToString } from 'react-dom/server';
import { describe, expect, it } from 'vitest';
import { TRPCProvider } from '@/app/_trpc/client';
import type { RouterOutputs } from '@/app/_trpc/types';
import type { AppRouter } from '@/server/api/root';
import { RetentionForm } from './retention-panel';
import { ScheduleHeading } from './schedule-heading';
import { ScheduleForm, SchedulePanel } from './schedule-panel';

/**
 * The schedule and retention forms rendered as the server renders them, from answers already in
 * the query cache (the client points nowhere, so no request is made).
 */

const client = createTRPCClient<AppRouter>({ links: [httpBatchLink({ url: 'http://127.0.0.1:9/api/trpc' })] });
type Proxy = ReturnType<typeof createTRPCOptionsProxy<AppRouter>>;

function render(element: ReactElement, seed: (trpc: Proxy, queryClient: QueryClient) => void): string {
  const queryClient = new QueryClient({ defaultOptions: { queries: { staleTime: Number.POSITIVE_INFINITY, retry: false } } });
  seed(createTRPCOptionsProxy<AppRouter>({ client, queryClient }), queryClient);
  // Its props typed whole (children required): createElement's overloads cannot take them as a third argument here.
  const providerProps: ComponentProps<typeof TRPCProvider> = { trpcClient: client, queryClient, children: element };
  return renderToString(createElement(QueryClientProvider, { client: queryClient }, createElement(TRPCProvider, providerProps)));
}

const text = (html: string) =>
  html
    .replace(/<!-- -->/g, '')
    .replace(/<[^>]+>/g, ' ')
    .replace(/&#x27;/g, "'")
    .replace(/&amp;/g, '&')
    .replace(/&quot;/g, '"')
    .replace(/\s+/g, ' ');

type Schedule = NonNullable<RouterOutputs['schedules']['get']['schedule']>;
const description = {
  cron: '0 2 * * *',
  timezone: 'Europe/Berlin',
  words: 'At 02:00 (Europe/Berlin)',
  nextRuns: [
    { at: '2026-12-03T01:00:00.000Z', local: 'Thu 3 Dec 2026, 02:00 (GMT+01:00)' },
    { at: '2026-12-04T01:00:00.000Z', local: 'Fri 4 Dec 2026, 02:00 (GMT+01:00)' },
  ],
};
const schedule = {
  cron: '0 2 * * *',
  timezone: 'Europe/Berlin',
  enabled: true,
  formats: ['markdown'],
  retention: { keepLast: null, keepHourly: null, keepDaily: 7, keepWeekly: null, keepMonthly: null, keepYearly: null, keepWithin: '2w' },
  lastDueAt: '2026-12-02T01:00:00.000Z',
  updatedAt: '2026-12-01T10:00:00.000Z',
  updatedBy: 'op@example.test',
  description,
} as unknown as Schedule;
const page = (s: Schedule | null) =>
  ({
    connection: { id: 'c1', name: 'Team wiki', workspaceName: 'Acme' },
    schedule: s,
    lastRun: s ? { id: 'e1', status: 'completed', requestedAt: '2026-12-02T01:00:03.000Z', finishedAt: '2026-12-02T01:10:00.000Z' } : null,
  }) as unknown as RouterOutputs['schedules']['get'];
const noop = () => undefined;

describe('the schedule panel', () => {
  it("heads the page with the connection's name and workspace", () => {
    const html = render(createElement(ScheduleHeading, { connectionId: 'c1' }), (trpc, qc) => {
      qc.setQueryData(trpc.schedules.get.queryKey({ connectionId: 'c1' }), page(null));
    });
    expect(html).toMatch(/<h1[^>]*>Team wiki<\/h1>/);
    expect(text(html)).toContain('Workspace Acme');
  });

  it('shows a viewer the schedule in words, its next runs and the last scheduled sync, with no form', () => {
    const html = render(createElement(SchedulePanel, { connectionId: 'c1', canOperate: false }), (trpc, qc) => {
      qc.setQueryData(trpc.schedules.get.queryKey({ connectionId: 'c1' }), page(schedule));
    });
    const shown = text(html);
    expect(shown).toContain('At 02:00 (Europe/Berlin)');
    expect(shown).toContain('Thu 3 Dec 2026, 02:00 (GMT+01:00)');
    expect(shown).toContain('Last scheduled sync');
    expect(html).toContain('href="/exports/e1"');
    expect(html).not.toContain('<form');
  });

  it('tells a viewer when there is no schedule', () => {
    const html = render(createElement(SchedulePanel, { connectionId: 'c1', canOperate: false }), (trpc, qc) => {
      qc.setQueryData(trpc.schedules.get.queryKey({ connectionId: 'c1' }), page(null));
    });
    expect(text(html)).toContain('No schedule: this connection syncs only when someone starts it.');
  });

  it('fills the form from the saved schedule: the preset, the expression, the zone and the next runs', () => {
    const html = render(createElement(ScheduleForm, { connectionId: 'c1', saved: schedule, defaultZone: 'UTC', onSaved: noop }), (trpc, qc) => {
      qc.setQueryData(trpc.schedules.describe.queryKey({ cron: '0 2 * * *', timezone: 'Europe/Berlin' }), { ok: true, description } as never);
    });
    expect(html).toMatch(/<option value="0 2 \* \* \*" selected="">Every day at 02:00<\/option>/);
    expect(html).toMatch(/<option value="Europe\/Berlin" selected="">Europe\/Berlin<\/option>/);
    expect(html).toContain('value="0 2 * * *"');
    expect(text(html)).toContain('Fri 4 Dec 2026, 02:00 (GMT+01:00)');
    expect(text(html)).toContain('Save schedule');
    expect(text(html)).toContain('Remove schedule');
    // Every control has a name: the labels point at their fields.
    for (const [, id] of html.matchAll(/<(?:select|input)[^>]*\sid="([^"]+)"/g)) expect(html).toContain(`for="${id}"`);
  });

  it('says why an expression cannot be a schedule, and offers no save', () => {
    const html = render(createElement(ScheduleForm, { connectionId: 'c1', saved: null, defaultZone: 'UTC', onSaved: noop }), (trpc, qc) => {
      qc.setQueryData(trpc.schedules.describe.queryKey({ cron: '0 2 * * *', timezone: 'UTC' }), {
        ok: false,
        message: 'Every 5 minutes is the most often a schedule may run',
      } as never);
    });
    expect(text(html)).toContain('Every 5 minutes is the most often a schedule may run');
    expect(html).toContain('aria-invalid="true"');
    expect(html).toMatch(/<button type="submit"[^>]*disabled=""[^>]*>Add schedule<\/button>/);
  });
});

describe('the retention form', () => {
  const policy = { keepWithin: '2w', keepLast: null, keepHourly: null, keepDaily: 7, keepWeekly: null, keepMonthly: null, keepYearly: null };
  const decision = (id: string, keep: boolean, reasons: string[]) => ({
    id,
    time: '2026-12-01T01:00:00.000Z',
    keep,
    reasons,
    status: 'completed',
    trigger: 'schedule',
    pinned: false,
    bytes: 2048,
  });

  it('starts from the saved policy and previews what it keeps and removes, with why', () => {
    const html = render(createElement(RetentionForm, { connectionId: 'c1', saved: schedule, timezone: 'Europe/Berlin', onDone: noop }), (trpc, qc) => {
      qc.setQueryData(trpc.schedules.previewRetention.queryKey({ connectionId: 'c1', timezone: 'Europe/Berlin', policy }), {
        timeZone: 'Europe/Berlin',
        decisions: [decision('s3', true, ['daily snapshot', 'latest snapshot']), decision('s2', true, ['pinned']), decision('s1', false, [])],
        kept: 2,
        removed: 1,
      } as never);
    });
    const shown = text(html);
    expect(html).toContain('value="7"');
    expect(html).toContain('value="2w"');
    expect(shown).toContain('Keeps 2, removes 1');
    expect(shown).toContain('daily snapshot, latest snapshot');
    expect(shown).toContain('no rule keeps it');
    expect(shown.match(/Removed/g)).toHaveLength(1);
    expect(shown).toContain('counted in Europe/Berlin');
    // Apply is offered (behind the confirmation dialog, outside the form).
    expect(html).toMatch(/<button type="button"[^>]*>Apply now…<\/button>/);
    expect(html).not.toMatch(/<button type="button"[^>]*disabled=""[^>]*>Apply now…/);
    expect(html.indexOf('<dialog')).toBeGreaterThan(html.indexOf('</form>'));
  });

  it('without a schedule, the policy can be applied but not saved', () => {
    const html = render(createElement(RetentionForm, { connectionId: 'c1', saved: null, timezone: 'UTC', onDone: noop }), noop);
    expect(text(html)).toContain('Add a schedule to keep the policy');
    expect(html).toMatch(/<button type="submit"[^>]*disabled=""[^>]*>Save policy<\/button>/);
  });
});
