import { getAppContext } from '@/server/context';
import { followExport } from '@/server/export/delivery/export-feed';

export const dynamic = 'force-dynamic';

const encoder = new TextEncoder();

/** Server-sent events: live progress of one export; resumes after the Last-Event-ID. */
export async function GET(req: Request, { params }: { params: Promise<{ id: string }> }): Promise<Response> {
  const { id } = await params;
  const ctx = await getAppContext();
  const url = new URL(req.url);
  const lastEventId = Number(req.headers.get('last-event-id') ?? url.searchParams.get('lastEventId') ?? 0) || 0;
  const abort = new AbortController();
  req.signal.addEventListener('abort', () => abort.abort());
  const stream = new ReadableStream<Uint8Array>({
    async start(controller) {
      const send = (text: string) => {
        if (!abort.signal.aborted) controller.enqueue(encoder.encode(text));
      };
      const keepAlive = setInterval(() => send(': ping\n\n'), 15_000);
      try {
        send('retry: 2000\n\n');
        for await (const message of followExport(ctx, id, lastEventId, abort.signal)) {
          send(`id: ${message.position}\nevent: progress\ndata: ${JSON.stringify(message)}\n\n`);
        }
        send('event: end\ndata: {}\n\n');
      } catch (error) {
        send(`event: failure\ndata: ${JSON.stringify({ message: error instanceof Error ? error.message : String(error) })}\n\n`);
      } finally {
        clearInterval(keepAlive);
        try {
          controller.close();
        } catch {
          /* already closed by the client */
        }
      }
    },
    cancel() {
      abort.abort();
    },
  });
  return new Response(stream, {
    headers: {
      'Content-Type': 'text/event-stream; charset=utf-8',
      'Cache-Control': 'no-cache, no-transform',
      Connection: 'keep-alive',
      'X-Accel-Buffering': 'no',
    },
  });
}
