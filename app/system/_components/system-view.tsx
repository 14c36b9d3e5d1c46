'use client';

import { useQuery } from '@tanstack/react-query';
import { useSubscription } from '@trpc/tanstack-react-query';
import { type ReactNode, useMemo, useState } from 'react';
import { useTRPC } from '@/app/_trpc/client';
import { formatNumber, formatTime } from '@/components/formatters';
import { formatFigure, formatMegabytes, formatMs, formatRate } from '@/components/time-series';
import { Badge, type BadgeTone } from '@/components/ui/badge';
import { Card } from '@/components/ui/card';
import { TimeSeriesChart } from '@/components/ui/time-series-chart';
import {
  addSample,
  allRequestColumns,
  busyConnections,
  busyWorkspaces,
  columnsOf,
  requestColumns,
  SAMPLE_GAP_MS,
  type SystemSample,
  type SystemStatus,
  workspaceColumns,
  workspaceTitle,
} from './system-series';

/** How often the badges, the connections and the conditions are asked for again. */
const STATUS_REFRESH_MS = 5_000;

/** The System page: live charts of this process, the health of each part, each connection, and what is worth an alert. */
export function SystemView() {
  const trpc = useTRPC();
  const status = useQuery(trpc.system.status.queryOptions(undefined, { refetchInterval: STATUS_REFRESH_MS }));
  const [samples, setSamples] = useState<SystemSample[]>([]);
  const stream = useSubscription(
    trpc.system.onSamples.subscriptionOptions({}, { onData: ({ data }) => setSamples((known) => addSample(known, data)) }),
  );

  return (
    <div className="space-y-6">
      <div className="flex flex-wrap items-center gap-x-3 gap-y-1 text-sm text-slate-600">
        <StreamBadge status={stream.status} />
        <span data-testid="sample-count" className="tabular-nums">
          {formatNumber(samples.length)} {samples.length === 1 ? 'sample' : 'samples'}
        </span>
        <span className="text-slate-500">A sample every 2 s; the charts keep the last 10 minutes.</span>
      </div>
      {stream.error && (
        <p role="alert" className="text-sm text-amber-800">
          Live samples interrupted: {stream.error.message}
        </p>
      )}
      {status.data && !status.data.runnerInProcess && (
        <p className="rounded-lg bg-slate-100 px-3 py-2 text-sm text-slate-700">
          Exports do not run in this process (RUNNER_ENABLED is off): a worker performs them, and its Notion requests and pages show in
          its own metrics (METRICS_PORT), not in these charts. The queue is every process's.
        </p>
      )}

      <div className="grid grid-cols-1 items-start gap-6 lg:grid-cols-3">
        <HealthCard status={status} />
        <ConditionsCard status={status} className="lg:col-span-2" />
      </div>
      <ConnectionsCard status={status} />
      <SystemCharts samples={samples} names={status.data?.connections} />
    </div>
  );
}

type StatusQuery = { data?: SystemStatus; isPending: boolean; isError: boolean; error: { message: string } | null };

function StreamBadge({ status }: { status: 'idle' | 'connecting' | 'pending' | 'error' }) {
  const look = {
    connecting: { text: 'Connecting…', tone: 'neutral', pulse: true },
    pending: { text: 'Live', tone: 'info', pulse: true },
    error: { text: 'Live samples unavailable', tone: 'danger', pulse: false },
    idle: { text: 'Stream closed', tone: 'neutral', pulse: false },
  } as const;
  const { text, tone, pulse } = look[status];
  return (
    <Badge tone={tone} pulse={pulse} data-testid="stream-status">
      {text}
    </Badge>
  );
}

/** Loading and error states shared by the cards that read `system.status`. */
function StatusState({ status, what }: { status: StatusQuery; what: string }) {
  if (status.isPending) {
    return (
      <p role="status" className="text-sm text-slate-500">
        Loading {what}…
      </p>
    );
  }
  return (
    <p role="alert" className="text-sm text-red-700">
      Could not load {what}: {status.error?.message}
    </p>
  );
}

const PART_LABELS: Record<SystemStatus['health'][number]['part'], string> = {
  database: 'Database',
  migrations: 'Migrations',
  exportsDir: 'Exports folder',
  diskSpace: 'Disk space',
  runner: 'Runner',
  eventLoop: 'Event loop',
};

function HealthCard({ status }: { status: StatusQuery }) {
  return (
    <Card title="Health" description="The readiness checks, and whether the event loop keeps up.">
      {!status.data ? (
        <StatusState status={status} what="the health checks" />
      ) : (
        <ul aria-label="Health of each part" className="space-y-2 text-sm">
          {status.data.health.map((check) => (
            <li key={check.part} className="flex flex-wrap items-center gap-2" data-testid={`health-${check.part}`}>
              <Badge tone={check.ok ? 'success' : 'danger'}>{check.ok ? 'OK' : 'Failing'}</Badge>
              <span className="text-slate-900">{PART_LABELS[check.part]}</span>
              {check.error && <span className="basis-full text-red-700">{`${PART_LABELS[check.part]} ${check.error}.`}</span>}
            </li>
          ))}
        </ul>
      )}
      {status.isError && status.data && (
        <p className="mt-3 text-xs text-amber-800">Not refreshed since {formatTime(new Date(status.data.at))}: {status.error?.message}</p>
      )}
    </Card>
  );
}

function ConditionsCard({ status, className }: { status: StatusQuery; className?: string }) {
  return (
    <Card
      title="Worth an alert"
      description="What the alert rules watch for, seen in the last 10 minutes. Prometheus pages only once a condition lasts; docs/runbook.md says what to do for each rule."
      className={className}
    >
      {!status.data ? (
        <StatusState status={status} what="the conditions" />
      ) : status.data.conditions.length === 0 ? (
        <p className="text-sm text-slate-600" data-testid="no-conditions">
          {status.data.sampling.samples === 0 ? 'Nothing to judge yet: the first samples are on their way.' : 'Nothing worth an alert in the last 10 minutes.'}
        </p>
      ) : (
        <ul aria-label="Conditions worth an alert" className="space-y-3">
          {status.data.conditions.map((condition) => (
            <li key={`${condition.alert}:${condition.connectionId ?? ''}`} className="text-sm">
              <div className="flex flex-wrap items-center gap-2">
                <Badge tone={condition.severity === 'critical' ? 'danger' : 'warning'}>{condition.severity === 'critical' ? 'Critical' : 'Warning'}</Badge>
                <span className="font-mono text-xs text-slate-600">{condition.alert}</span>
              </div>
              <p className="mt-1 text-slate-800">{condition.text}</p>
            </li>
          ))}
        </ul>
      )}
    </Card>
  );
}

type ConnectionStatus = SystemStatus['connections'][number];

const OUTCOME_WORDS: Record<NonNullable<ConnectionStatus['lastCall']>['outcome'], string> = {
  ok: 'Answered',
  rateLimited: 'Rate limited (429)',
  overloaded: 'Notion overloaded (529)',
  tokenRefused: 'Token refused (401)',
  refused: 'Refused (4xx)',
  serverError: 'Notion failed (5xx)',
  noAnswer: 'No answer (timeout or network)',
};

const BREAKER_LOOK: Record<NonNullable<ConnectionStatus['breaker']>, { text: string; tone: BadgeTone }> = {
  closed: { text: 'Closed: requests flow', tone: 'success' },
  open: { text: 'Open: requests held back', tone: 'danger' },
  half_open: { text: 'Half-open: testing Notion', tone: 'warning' },
};

const TOKEN_LOOK: Record<ConnectionStatus['token']['state'], { text: string; tone: BadgeTone }> = {
  accepted: { text: 'Accepted', tone: 'success' },
  refused: { text: 'Refused', tone: 'danger' },
  unknown: { text: 'Not known', tone: 'neutral' },
};

const clock = (at: number) => formatTime(new Date(at));

function ConnectionsCard({ status }: { status: StatusQuery }) {
  return (
    <Card title="Connections" description="As this process knows them, from its own requests and checks: nothing here calls Notion.">
      {!status.data ? (
        <StatusState status={status} what="the connections" />
      ) : status.data.connections.length === 0 ? (
        <p className="text-sm text-slate-600">No connections yet.</p>
      ) : (
        <ul aria-label="Connections" className="divide-y divide-slate-100">
          {status.data.connections.map((c) => (
            <li key={c.id} className="py-3 first:pt-0 last:pb-0" data-testid="connection-status">
              <p className="text-sm font-medium break-words text-slate-900">
                {c.name}
                {c.workspaceName && <span className="font-normal text-slate-500"> · {c.workspaceName}</span>}
              </p>
              <dl className="mt-2 grid grid-cols-1 gap-x-4 gap-y-2 text-sm sm:grid-cols-2 lg:grid-cols-4">
                <Fact label="Last Notion call">
                  {c.lastCall ? (
                    <>
                      {OUTCOME_WORDS[c.lastCall.outcome]}{' '}
                      <span className="text-slate-500">
                        at {clock(c.lastCall.at)} ({formatNumber(c.lastCall.requests)} {c.lastCall.requests === 1 ? 'request' : 'requests'})
                      </span>
                    </>
                  ) : (
                    <span className="text-slate-600">None in the last 10 minutes</span>
                  )}
                </Fact>
                <Fact label="Circuit breaker">
                  {c.breaker ? <Badge tone={BREAKER_LOOK[c.breaker].tone}>{BREAKER_LOOK[c.breaker].text}</Badge> : <span className="text-slate-600">Not in use here yet</span>}
                </Fact>
                <Fact label="Learned pace">
                  {c.pace ? (
                    <>
                      {formatRate(c.pace.pacedPerSecond)} of {formatRate(c.pace.budgetPerSecond)}
                      {c.pace.pacedPerSecond < c.pace.budgetPerSecond && <span className="text-slate-500"> (slowed by Notion's 429s)</span>}
                    </>
                  ) : (
                    <span className="text-slate-600">Known once an export of it runs here</span>
                  )}
                </Fact>
                <Fact label="Token">
                  <Badge tone={TOKEN_LOOK[c.token.state].tone}>{TOKEN_LOOK[c.token.state].text}</Badge>
                  {c.token.at !== null && <span className="ml-1.5 text-slate-500">{c.token.state === 'refused' ? 'by Notion at' : 'last at'} {clock(c.token.at)}</span>}
                </Fact>
              </dl>
            </li>
          ))}
        </ul>
      )}
    </Card>
  );
}

function Fact({ label, children }: { label: string; children: ReactNode }) {
  return (
    <div className="min-w-0">
      <dt className="text-xs text-slate-500">{label}</dt>
      <dd className="mt-0.5 text-slate-900">{children}</dd>
    </div>
  );
}

const WAITING = 'Waiting for the first sample…';
const perSecond = (v: number) => formatRate(v);

/** What the caption under a workspace's chart says of its limit. */
function workspaceLimitWords(title: ReturnType<typeof workspaceTitle>): string {
  if (title.budgetPerSecond === null) return "No workspace budget is set: the limit line is the pace learned from Notion's workspace 429s, when there were any.";
  if (title.sharedBy <= 1) return `The limit line is the workspace budget, ${formatRate(title.budgetPerSecond)}.`;
  const others = title.sharedBy - 1;
  return `The limit line is this process's share of the workspace budget of ${formatRate(title.budgetPerSecond)}: ${others === 1 ? 'another runner exports' : `${others} other runners export`} into it now.`;
}

/** The charts of the samples: requests per connection against its budget, per workspace against its limit, latency, pages, queue, memory, event-loop lag. */
function SystemCharts({ samples, names }: { samples: SystemSample[]; names?: ConnectionStatus[] }) {
  const charts = useMemo(() => {
    const nameOf = new Map(names?.map((c) => [c.id, c.name]));
    const busy = busyConnections(samples);
    return {
      requests:
        busy.length === 0
          ? [{ key: 'all', title: 'Requests to Notion', data: allRequestColumns(samples), withBudget: false }]
          : busy.map((id) => ({ key: id, title: `Requests to Notion: ${nameOf.get(id) ?? id}`, data: requestColumns(samples, id), withBudget: true })),
      workspaces: busyWorkspaces(samples).map((key) => {
        const title = workspaceTitle(samples, key, names);
        return { key, title, data: workspaceColumns(samples, key) };
      }),
      latency: columnsOf(samples, [(s) => s.notionLatencyP95Ms]),
      pages: columnsOf(samples, [(s) => s.pagesPerSecond]),
      queue: columnsOf(samples, [(s) => s.queue?.due, (s) => s.queue?.scheduled, (s) => s.queue?.activeLeases]),
      memory: columnsOf(samples, [(s) => s.memory.rssBytes, (s) => s.memory.heapUsedBytes]),
      lag: columnsOf(samples, [(s) => s.eventLoopLagMs]),
    };
  }, [samples, names]);

  return (
    <section aria-labelledby="charts-heading" className="space-y-3">
      <h2 id="charts-heading" className="text-lg font-semibold text-slate-900">
        Last 10 minutes
      </h2>
      <div className="grid grid-cols-1 gap-6 md:grid-cols-2">
        {charts.requests.map((chart) => (
          <Card key={chart.key}>
            <TimeSeriesChart
              title={chart.title}
              series={
                chart.withBudget
                  ? [
                      { label: 'Requests', color: 'blue' },
                      { label: 'Budget', color: 'slate', dashed: true },
                      { label: '429s', color: 'red' },
                    ]
                  : [
                      { label: 'Requests', color: 'blue' },
                      { label: '429s', color: 'red' },
                    ]
              }
              data={chart.data}
              format={perSecond}
              emptyText={WAITING}
              maxGapMs={SAMPLE_GAP_MS}
            />
          </Card>
        ))}
        {charts.workspaces.map((chart) => (
          <Card key={`workspace:${chart.key}`}>
            <TimeSeriesChart
              title={`Workspace ${chart.title.name}: requests from this process`}
              series={[
                { label: 'Requests', color: 'blue' },
                { label: 'Limit', color: 'slate', dashed: true },
                { label: 'Workspace 429s', color: 'red' },
              ]}
              data={chart.data}
              format={perSecond}
              emptyText={WAITING}
              maxGapMs={SAMPLE_GAP_MS}
            />
            <p className="mt-2 text-xs text-slate-600" data-testid="workspace-caption">
              {chart.title.connections.length === 1 ? 'Connection' : 'Connections'}: {chart.title.connections.join(', ')}. {workspaceLimitWords(chart.title)}
            </p>
          </Card>
        ))}
        <Card>
          <TimeSeriesChart
            title="Notion latency, 95th percentile"
            series={[{ label: 'p95', color: 'violet' }]}
            data={charts.latency}
            format={formatMs}
            emptyText={WAITING}
            maxGapMs={SAMPLE_GAP_MS}
            minTop={100}
          />
        </Card>
        <Card>
          <TimeSeriesChart
            title="Pages and databases exported"
            series={[{ label: 'Pages', color: 'emerald' }]}
            data={charts.pages}
            format={perSecond}
            emptyText={WAITING}
            maxGapMs={SAMPLE_GAP_MS}
          />
        </Card>
        <Card>
          <TimeSeriesChart
            title="Export queue"
            series={[
              { label: 'Due', color: 'blue' },
              { label: 'Scheduled', color: 'slate' },
              { label: 'Running', color: 'emerald' },
            ]}
            data={charts.queue}
            format={formatFigure}
            emptyText={WAITING}
            maxGapMs={SAMPLE_GAP_MS}
          />
        </Card>
        <Card>
          <TimeSeriesChart
            title="Memory"
            series={[
              { label: 'RSS', color: 'blue' },
              { label: 'Heap used', color: 'violet' },
            ]}
            data={charts.memory}
            format={formatMegabytes}
            emptyText={WAITING}
            maxGapMs={SAMPLE_GAP_MS}
            minTop={64 * 1024 * 1024}
          />
        </Card>
        <Card>
          <TimeSeriesChart
            title="Event-loop lag"
            series={[{ label: 'Worst in 30 s', color: 'amber' }]}
            data={charts.lag}
            format={formatMs}
            emptyText={WAITING}
            maxGapMs={SAMPLE_GAP_MS}
            minTop={50}
          />
        </Card>
      </div>
    </section>
  );
}
