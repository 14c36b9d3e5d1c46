import { z } from 'zod';

/** The formats an export can write. */
export const EXPORT_FORMATS = ['markdown', 'html', 'json', 'csv'] as const;
export const ExportFormat = z.enum(EXPORT_FORMATS);
export type ExportFormat = z.infer<typeof ExportFormat>;

/** How an export names and fills its tree; defaults keep Notion's own layout. */
export const ExportOptions = z.object({
  /** 'notion': `Title <id>.md` like Notion's export; 'clean': `Title.md`, duplicates numbered. */
  naming: z.enum(['notion', 'clean']).default('notion'),
  /** Also download files that are only linked (external URLs); Notion-hosted files always are. */
  downloadExternal: z.boolean().default(false),
});
export type ExportOptions = z.infer<typeof ExportOptions>;
export const DEFAULT_EXPORT_OPTIONS: ExportOptions = { naming: 'notion', downloadExternal: false };

/** One file of an export, as recorded in the manifest. */
export const WrittenFileSchema = z.object({
  /** Relative to the export root, with forward slashes. */
  path: z.string(),
  bytes: z.number().int().nonnegative(),
  /** Lower-case hex. */
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  /** The Notion id of the page or database the file came from. */
  sourceId: z.string(),
});
export type WrittenFile = z.infer<typeof WrittenFileSchema>;

export const DiscoveredItem = z.object({
  id: z.string(),
  kind: z.enum(['page', 'database']),
  title: z.string(),
  parentId: z.string().nullable(),
  /** Folder (relative to the export root) the item's files go in; null while only a candidate. */
  dir: z.string().nullable(),
  /** File name without extension (also the name of its folder of children); set with `dir`. */
  stem: z.string().nullable().optional(),
  status: z.enum(['candidate', 'pending']),
});
export type DiscoveredItem = z.infer<typeof DiscoveredItem>;

export const ExportIssue = z.object({
  kind: z.enum(['attachment_failed', 'unsupported_block', 'linked_database', 'property_incomplete']),
  sourceId: z.string(),
  message: z.string(),
});
export type ExportIssue = z.infer<typeof ExportIssue>;

export const RequestStats = z.object({
  requests: z.number().int().nonnegative(),
  rateLimited: z.number().int().nonnegative(),
  retries: z.number().int().nonnegative(),
  /**
   * Requests per second the token's limiter paces at when Notion's 429s taught it a lower rate than
   * the configured budget; null at the budget. Absent in events recorded before it existed.
   */
  pacedRate: z.number().positive().nullable().optional(),
});
export type RequestStats = z.infer<typeof RequestStats>;

export const ExportEventSchemas = {
  ExportRequested: z.object({
    exportId: z.string(),
    connectionId: z.string(),
    formats: z.array(ExportFormat).min(1),
    outDir: z.string(),
    requestedBy: z.enum(['dashboard', 'cli', 'scheduler']),
    options: ExportOptions.default(DEFAULT_EXPORT_OPTIONS),
  }),
  ExportStarted: z.object({ attempt: z.number().int().positive(), runner: z.string() }),
  PhaseChanged: z.object({ phase: z.enum(['discovering', 'exporting', 'finishing']) }),
  ItemsDiscovered: z.object({ items: z.array(DiscoveredItem) }),
  PagesExported: z.object({
    items: z.array(
      z.object({
        id: z.string(),
        files: z.array(WrittenFileSchema),
        /** Things the export could not carry over for this item (attachments, unsupported blocks…). */
        issues: z.array(ExportIssue).optional(),
        /** Links to pages whose place was not known yet; resolved when the export finishes. */
        unresolvedLinks: z.boolean().optional(),
      }),
    ),
    stats: RequestStats,
  }),
  /** Files written or rewritten outside a page's own batch: resolved links, the report. */
  FilesWritten: z.object({ files: z.array(WrittenFileSchema), reason: z.enum(['links', 'report']) }),
  PageFailed: z.object({
    id: z.string(),
    kind: z.enum(['page', 'database']),
    title: z.string(),
    code: z.string(),
    message: z.string(),
  }),
  ExportCompleted: z.object({
    pages: z.number().int().nonnegative(),
    failed: z.number().int().nonnegative(),
    files: z.number().int().nonnegative(),
    bytes: z.number().int().nonnegative(),
    stats: RequestStats,
  }),
  ExportFailed: z.object({ reason: z.string(), retryable: z.boolean() }),
  /** Stopped until someone resumes it: by a person, or because the token or the disk needs attention. */
  ExportPaused: z.object({ reason: z.string(), cause: z.enum(['user', 'auth', 'disk']) }),
  ExportResumed: z.object({ by: z.string() }),
  /** Pages that could not be exported (dead letters) are tried again. */
  FailedPagesRequeued: z.object({ ids: z.array(z.string()) }),
  ExportCancelled: z.object({ reason: z.string() }),
} as const;

type Schemas = typeof ExportEventSchemas;
export type ExportEventType = keyof Schemas;
export type ExportEvent = { [K in ExportEventType]: { type: K; data: z.infer<Schemas[K]> } }[ExportEventType];
export type ExportEventOf<K extends ExportEventType> = Extract<ExportEvent, { type: K }>;
export const EXPORT_EVENT_TYPES = Object.keys(ExportEventSchemas) as ExportEventType[];

/** Validates stored event data against its schema (events written by older code included). */
export function parseExportEvent(type: string, data: unknown): ExportEvent {
  const schema = ExportEventSchemas[type as ExportEventType];
  if (!schema) throw new Error(`Unknown export event type: ${type}`);
  return { type, data: schema.parse(data) } as ExportEvent;
}

export const exportStreamId = (exportId: string) => `export-${exportId}`;

export type ExportState =
  | { status: 'initial' }
  | {
      status: 'queued' | 'running' | 'paused' | 'completed' | 'completed_with_errors' | 'failed' | 'cancelled';
      exportId: string;
      connectionId: string;
      formats: ExportFormat[];
      outDir: string;
      options: ExportOptions;
      attempt: number;
      failed: number;
      pauseCause?: 'user' | 'auth' | 'disk';
    };

export const initialState = (): ExportState => ({ status: 'initial' });

export function evolve(state: ExportState, event: ExportEvent): ExportState {
  const { type } = event;
  switch (type) {
    case 'ExportRequested': {
      const d = event.data;
      return {
        status: 'queued',
        exportId: d.exportId,
        connectionId: d.connectionId,
        formats: d.formats,
        outDir: d.outDir,
        options: d.options,
        attempt: 0,
        failed: 0,
      };
    }
    case 'ExportStarted':
      return state.status === 'initial' ? state : { ...state, status: 'running', attempt: event.data.attempt };
    case 'PageFailed':
      return state.status === 'initial' ? state : { ...state, failed: state.failed + 1 };
    case 'ExportCompleted':
      return state.status === 'initial'
        ? state
        : { ...state, status: event.data.failed > 0 ? 'completed_with_errors' : 'completed' };
    case 'ExportFailed':
      return state.status === 'initial' ? state : { ...state, status: 'failed' };
    case 'ExportCancelled':
      return state.status === 'initial' ? state : { ...state, status: 'cancelled' };
    case 'ExportPaused':
      return state.status === 'initial' ? state : { ...state, status: 'paused', pauseCause: event.data.cause };
    case 'ExportResumed':
      return state.status === 'initial' ? state : { ...state, status: 'queued', pauseCause: undefined };
    case 'FailedPagesRequeued':
      return state.status === 'initial'
        ? state
        : { ...state, status: 'queued', failed: Math.max(0, state.failed - event.data.ids.length) };
    case 'PhaseChanged':
    case 'ItemsDiscovered':
    case 'PagesExported':
    case 'FilesWritten':
      return state;
    default: {
      const _exhaustive: never = type;
      return _exhaustive;
    }
  }
}
