import { recordAudit } from '@/server/audit/audit-log';
import { authOf } from '@/server/auth/auth';
import { authorizeRequest } from '@/server/auth/viewer';
import { getAppContext } from '@/server/context';
import { domainErrorResponse } from '@/server/errors';
import { exportDownload, isExportId } from '@/server/export/delivery/export-download';
import { planZip, zipToWebStream } from '@/server/export/delivery/zip';
import { countZipDownload } from '@/server/observability/export-metrics';
import { ATTR_EXPORT_ID, traceWebStream } from '@/server/observability/spans';
import { clientAddressOf } from '@/server/security/client-address';

export const dynamic = 'force-dynamic';

/**
 * Streams the finished export folder as a zip named after its workspace and day
 * (`<workspace>-<YYYY-MM-DD>.zip`); nothing is built in memory. Who asks is checked first; then an
 * id that cannot be an export id (`..`, slashes, `%`, NUL…, however encoded) is answered 400
 * before the export or the disk is read. The length is sent when it is known before the zip is
 * made (an export of mostly images and PDFs, stored whole: see planZip). Each download is
 * recorded in the audit log, counted (notion_sync_zip_downloads_total, _bytes_total) and traced.
 */
export async function GET(req: Request, { params }: { params: Promise<{ id: string }> }): Promise<Response> {
  const ctx = await getAppContext();
  const access = await authorizeRequest(authOf(ctx), req.headers, 'viewer');
  if (access.response) return access.response;
  const { id } = await params;
  if (!isExportId(id)) return Response.json({ error: 'This is not an export id' }, { status: 400 });
  try {
    const { root, fileName, disposition, only } = await exportDownload(ctx, id);
    const plan = await planZip(root, { only });
    await recordAudit(ctx.database.db, {
      action: 'export.downloaded',
      actor: { id: access.viewer.id, email: access.viewer.email },
      address: clientAddressOf(req.headers),
      target: { type: 'export', id },
      detail: { fileName, ...(plan.size === null ? {} : { bytes: plan.size }) },
    });
    const headers: Record<string, string> = {
      'Content-Type': 'application/zip',
      'Content-Disposition': disposition,
      'Cache-Control': 'no-store',
    };
    if (plan.size !== null) headers['Content-Length'] = String(plan.size);
    const zip = zipToWebStream(root, { only, level: plan.level, expectedSize: plan.size ?? undefined });
    return new Response(traceWebStream('export.download', { [ATTR_EXPORT_ID]: id }, countZipDownload(zip)), { headers });
  } catch (error) {
    return domainErrorResponse(error);
  }
}
