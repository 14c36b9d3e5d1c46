'use client';

import { useQuery } from '@tanstack/react-query';
import { useTRPC } from '@/app/_trpc/client';

/** The connection's name and workspace (the page's one h1), or why it cannot be shown. */
export function ScheduleHeading({ connectionId }: { connectionId: string }) {
  const trpc = useTRPC();
  const page = useQuery(trpc.schedules.get.queryOptions({ connectionId }));
  if (page.isPending) return <h1 className="mt-2 text-2xl font-bold tracking-tight text-slate-900">Connection</h1>;
  if (page.isError) {
    return (
      <>
        <h1 className="mt-2 text-2xl font-bold tracking-tight text-slate-900">Connection</h1>
        <p role="alert" className="mt-1 text-sm text-red-700">
          {page.error.data?.code === 'NOT_FOUND' ? 'This connection does not exist (it may have been removed).' : `Could not load it: ${page.error.message}`}
        </p>
      </>
    );
  }
  const { name, workspaceName } = page.data.connection;
  return (
    <>
      <h1 className="mt-2 text-2xl font-bold tracking-tight break-words text-slate-900">{name}</h1>
      <p className="mt-1 text-sm text-slate-500">{workspaceName ? `Workspace ${workspaceName}` : 'Workspace not known yet (test the connection)'}</p>
    </>
  );
}
