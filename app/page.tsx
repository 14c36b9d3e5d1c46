import { PageLayout } from '@/components/page-layout';
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
    <PageLayout
      user={viewer}
      title="Notion Sync"
      description="Connect a Notion integration, export its whole workspace as Markdown, HTML, JSON and CSV with every attachment, and download the result as a zip."
    >
      <Overview />
      {canOperate && (
        <div className="grid grid-cols-1 items-start gap-6 lg:grid-cols-5">
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
    </PageLayout>
  );
}
