import type { Workspace } from './workspace';

/** What response builders need besides the workspace: where the twin listens, the clocks and the API version. */
export interface RenderContext {
  ws: Workspace;
  /** `http://127.0.0.1:<port>`, for hosted file URLs and `next_url`. */
  baseUrl: string;
  /** Clock used to sign hosted file URLs (the twin's file clock, which tests may advance). */
  nowMs: number;
  /** Lifetime of hosted file URLs. */
  fileTtlMs: number;
  /** `Notion-Version` of the request (`2025-09-03` or `2026-03-11`); decides `transcription` vs `meeting_notes`. */
  notionVersion: string;
}
