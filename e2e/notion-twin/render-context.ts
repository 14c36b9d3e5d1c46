import type { Workspace } from './workspace';

/** What response builders need besides the workspace: where the twin listens and the clock. */
export interface RenderContext {
  ws: Workspace;
  /** `http://127.0.0.1:<port>`, for hosted file URLs and `next_url`. */
  baseUrl: string;
  nowMs: number;
  /** Lifetime of hosted file URLs. */
  fileTtlMs: number;
}
