/**
 * Real Notion API payloads kept in the repository (`samples/real-api/`; SOURCES.md says where each
 * came from). Tests compare the twin's answers and the exporter's parsing with them.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';

/** The folder of the recorded payloads, absolute. */
export const REAL_API_SAMPLES = path.join(import.meta.dirname, 'samples', 'real-api');

/** One recorded payload, parsed (`file` is its name in `samples/real-api/`). */
export function readRealApiSample<T = unknown>(file: string): T {
  return JSON.parse(readFileSync(path.join(REAL_API_SAMPLES, file), 'utf8')) as T;
}
