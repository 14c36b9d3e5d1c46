/** Reading requests and writing replies on node:http. */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Reply } from './replies';

export function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

/** Writes a reply; `reset` destroys the connection without an answer. */
export function send(res: ServerResponse, reply: Reply): void {
  if (reply.type === 'reset') {
    res.socket?.destroy();
    return;
  }
  const payload = reply.type === 'json' ? JSON.stringify(reply.body) : reply.body;
  res.writeHead(reply.status, {
    'content-type': reply.type === 'json' ? 'application/json; charset=utf-8' : reply.contentType,
    'content-length': Buffer.byteLength(payload),
    ...reply.headers,
  });
  res.end(payload);
}

export function isRecord(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}
