import { eq } from 'drizzle-orm';
import { exports } from '@/db/schema';
import { getAppContext } from '@/server/context';
import { zipToWebStream } from '@/server/export/delivery/zip';

export const dynamic = 'force-dynamic';

/** Streams the finished export folder as a zip; nothing is built in memory. */
export async function GET(_req: Request, { params }: { params: Promise<{ id: string }> }): Promise<Response> {
  const { id } = await params;
  const ctx = await getAppContext();
  const [row] = await ctx.database.db.select().from(exports).where(eq(exports.id, id));
  if (!row) return Response.json({ error: `Export ${id} does not exist` }, { status: 404 });
  if (row.status !== 'completed' && row.status !== 'completed_with_errors') {
    return Response.json({ error: `Export ${id} is ${row.status}; it can be downloaded once it completes` }, { status: 409 });
  }
  return new Response(zipToWebStream(row.outDir), {
    headers: {
      'Content-Type': 'application/zip',
      'Content-Disposition': `attachment; filename="notion-export-${id}.zip"`,
      'Cache-Control': 'no-store',
    },
  });
}
