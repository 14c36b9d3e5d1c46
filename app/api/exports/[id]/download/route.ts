import { getAppContext } from '@/server/context';
import { domainErrorResponse } from '@/server/errors';
import { exportDownload } from '@/server/export/delivery/export-download';
import { zipToWebStream } from '@/server/export/delivery/zip';

export const dynamic = 'force-dynamic';

/** Streams the finished export folder as a zip; nothing is built in memory. */
export async function GET(_req: Request, { params }: { params: Promise<{ id: string }> }): Promise<Response> {
  const { id } = await params;
  const ctx = await getAppContext();
  try {
    const { root, fileName } = await exportDownload(ctx, id);
    return new Response(zipToWebStream(root), {
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
