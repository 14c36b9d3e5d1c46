import { AppHeader } from '@/components/app-header';
import { Overview } from './_components/overview';
import { requirePageViewer, roleAllows } from '@/server/page-access';
import { ConnectionsPanel } from './exports/_components/connections-panel';
import { ExportsTable } from './exports/_components/exports-table';
import { SettingsPanel } from './exports/_components/settings-panel';
import { StartExportForm } from './exports/_components/start-export-form';

export default async function DashboardPage() {
  const viewer = await requirePageViewer('/');
  // What the role may use is shown; the server refuses the rest anyway.
  const canOperate = roleAllows(viewer.role, 'operator');
  const canAdminister = roleAllows(viewer.role, 'admin');
  return (
    <>
      <AppHeader user={viewer} />
      <main className="mx-auto max-w-6xl space-y-6 px-4 py-8 sm:px-6">
        <div>
          <h1 className="text-2xl font-bold tracking-tight text-slate-900">Notion Sync</h1>
          <p className="mt-1 text-sm text-slate-500">
            Connect a Notion integration, export its whole workspace as Markdown, HTML, JSON and CSV with every attachment, and download the result as a zip.
          </p>
        </div>
        <Overview />
        {canOperate && (
          <div className="grid items-start gap-6 lg:grid-cols-5">
            <div className="lg:col-span-3">
              <ConnectionsPanel />
            </div>
            <div className="space-y-6 lg:col-span-2">
              <StartExportForm />
              {canAdminister && <SettingsPanel />}
            </div>
          </div>
        )}
        <ExportsTable />
      </main>
    </>
  );
}
