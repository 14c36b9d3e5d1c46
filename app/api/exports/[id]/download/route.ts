import { authorizeRequest } from '@/server/auth/viewer';
import { getAppContext } from '@/server/context';
import { domainErrorResponse } from '@/server/errors';
import { exportDownload, isExportId } from '@/server/export/delivery/export-download';
import { zipToWebStream } from '@/server/export/delivery/zip';
import { authOf } from '@/server/auth/auth';

export const dynamic = 'force-dynamic';

/**
 * Streams the finished export folder as a zip; nothing is built in memory. An id that cannot be
 * an export id (`..`, slashes, `%`, NUL…, however encoded) is answered 400 before the database or
 * the disk is touched.
 */
export async function GET(req: Request, { params }: { params: Promise<{ id: string }> }): Promise<Response> {
  const { id } = await params;
  if (!isExportId(id)) return Response.json({ error: 'This is not an export id' }, { status: 400 });
  const ctx = await getAppContext();
  const access = await authorizeRequest(authOf(ctx), req.headers, 'viewer');
  if (access.response) return access.response;
  try {
    const { root, fileName, only } = await exportDownload(ctx, id);
    return new Response(zipToWebStream(root, { only }), {
      headers: {
        'Content-Type': 'application/zip',
        'Content-Disposition': `attachment; filename="${fileName}"`,
        'Cache-Control': 'no-store',
      },
    });
  } catch (error) {
    return domainErrorResponse(error);
  }
}
