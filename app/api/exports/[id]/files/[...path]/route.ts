import { authOf } from '@/server/auth/auth';
import { authorizeRequest } from '@/server/auth/viewer';
import { getAppContext } from '@/server/context';
import { domainErrorResponse } from '@/server/errors';
import { exportFileResponse, openExportFile, withFileHeaders } from '@/server/export/delivery/export-file';

export const dynamic = 'force-dynamic';

/**
 * One file of an export, for the file tree's preview: `?view=preview` shows a Markdown file as a
 * sanitised page; the export's HTML pages are sent as they are; anything else with a safe type.
 * Who asks is checked first. The path is read only inside the export's folder, as the zip
 * download reads it (export-file.ts: `..`, encoded or not, absolute paths, NUL and links never
 * reach anything outside). Every answer is sandboxed: nothing in it can run.
 */
export async function GET(req: Request, { params }: { params: Promise<{ id: string; path: string[] }> }): Promise<Response> {
  const ctx = await getAppContext();
  const access = await authorizeRequest(authOf(ctx), req.headers, 'viewer');
  if (access.response) return withFileHeaders(access.response);
  const { id, path } = await params;
  try {
    const file = await openExportFile(ctx, id, path);
    return await exportFileResponse(file, { preview: new URL(req.url).searchParams.get('view') === 'preview' });
  } catch (error) {
    return withFileHeaders(domainErrorResponse(error));
  }
}
