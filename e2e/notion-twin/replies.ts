/** What a handler answers, and Notion's error bodies. */
import { randomUUID } from 'node:crypto';

export type Reply =
  | { type: 'json'; status: number; body: object; headers?: Record<string, string> }
  | { type: 'raw'; status: number; body: string | Buffer; contentType: string; headers?: Record<string, string> }
  | { type: 'reset' };

/** Notion's error body (the SDK has no exported type for it). */
export interface NotionErrorBody {
  object: 'error';
  status: number;
  code: string;
  message: string;
  additional_data?: Record<string, string>;
  request_id: string;
}

/** A 200 answer: the SDK-typed body plus Notion's top-level `request_id`. */
export function ok<T extends object>(body: T): Reply {
  return { type: 'json', status: 200, body: { ...body, request_id: randomUUID() } };
}

export function apiError(
  status: number,
  code: string,
  message: string,
  extra: { additional_data?: Record<string, string>; headers?: Record<string, string> } = {},
): Reply & { type: 'json' } {
  const body: NotionErrorBody = { object: 'error', status, code, message, request_id: randomUUID() };
  if (extra.additional_data) body.additional_data = extra.additional_data;
  return { type: 'json', status, body, headers: extra.headers };
}

export function validationError(message: string): Reply {
  return apiError(400, 'validation_error', message);
}
