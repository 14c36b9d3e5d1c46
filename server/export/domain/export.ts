import { z } from 'zod';
import { type ExportCounts, type ExportStatus, PauseCause, RetriedPages, type RetryingPages } from './export-status';

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

/** 'full' reads the whole workspace; 'sync' starts from a finished export (its baseline) and reads only what changed. */
export const ExportMode = z.enum(['full', 'sync']);
export type ExportMode = z.infer<typeof ExportMode>;
/** What asked for an export. */
export const ExportTrigger = z.enum(['manual', 'cli', 'schedule', 'webhook']);
export type ExportTrigger = z.infer<typeof ExportTrigger>;

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
  /** Notion's `last_edited_time` as the listing showed it (minute precision); absent when not listed. */
  lastEditedTime: z.string().optional(),
  /** When the listing that showed `lastEditedTime` ran (ms): the item's content is read after it. */
  readAt: z.number().int().nonnegative().optional(),
});
export type DiscoveredItem = z.infer<typeof DiscoveredItem>;

export const ExportIssue = z.object({
  /**
   * `in_trash`: a page (or row) listed in Notion's trash, not exported (recorded by the export's own id);
   * `database_in_trash`: the same for a database. Events recorded before the second kind existed
   * name trashed databases `in_trash` too: those are shown as pages, as they were then.
   * `attachment_skipped`: an external link not downloaded because it is no file (a web page, too large).
   * `external_link`: a file the page links to on another site and the export does not hold (`sourceId` is the URL).
   */
  kind: z.enum(['attachment_failed', 'attachment_skipped', 'external_link', 'unsupported_block', 'linked_database', 'property_incomplete', 'in_trash', 'database_in_trash']),
  sourceId: z.string(),
  message: z.string(),
});
export type ExportIssue = z.infer<typeof ExportIssue>;

/** The issue kinds of items listed in Notion's trash: named in report.json among the skipped, no issue of the export. */
export const TRASH_ISSUE_KINDS = ['in_trash', 'database_in_trash'] as const satisfies readonly ExportIssue['kind'][];

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

/** A page or database exported: its files, what it could not carry over, and whether its links wait for pages not placed yet. */
export const ExportedItem = z.object({
  id: z.string(),
  files: z.array(WrittenFileSchema),
  /** Things the export could not carry over for this item (attachments, unsupported blocks…). */
  issues: z.array(ExportIssue).optional(),
  /** Links to pages whose place was not known yet; resolved when the export finishes. */
  unresolvedLinks: z.boolean().optional(),
  /** Pages and databases its files link to or name (children, mentions, relations): a sync re-renders it when they move, change title, come or go. */
  links: z.array(z.string()).optional(),
  /** Synced block originals it shows by reference, and those it holds: a sync re-renders the first when the holder changed. */
  shows: z.array(z.string()).optional(),
  holds: z.array(z.string()).optional(),
});
export type ExportedItem = z.infer<typeof ExportedItem>;

/** One item a sync changed, by id, with its title. */
export const ChangedItem = z.object({ id: z.string(), title: z.string(), kind: z.enum(['page', 'database']) });
/** What a sync changed since its baseline (as `exports.changes` and report.json hold it). */
export const ExportChanges = z.object({
  added: z.array(ChangedItem),
  updated: z.array(ChangedItem),
  /** `from` and `to`: the item's folder (relative to the export root) before and after. */
  moved: z.array(ChangedItem.extend({ from: z.string(), to: z.string() })),
  removed: z.array(ChangedItem.extend({ reason: z.string() })),
});
export type ExportChanges = z.infer<typeof ExportChanges>;

/** A page or database that could not be exported, with the reason. */
export const FailedItem = z.object({
  id: z.string(),
  kind: z.enum(['page', 'database']),
  title: z.string(),
  code: z.string(),
  message: z.string(),
});
export type FailedItem = z.infer<typeof FailedItem>;

export const ExportEventSchemas = {
  ExportRequested: z.object({
    exportId: z.string(),
    connectionId: z.string(),
    formats: z.array(ExportFormat).min(1),
    outDir: z.string(),
    requestedBy: z.enum(['dashboard', 'cli', 'scheduler']),
    /** The email of the signed-in person who started it from the dashboard; absent for the CLI, schedules and older events. */
    requestedByUser: z.string().optional(),
    options: ExportOptions.default(DEFAULT_EXPORT_OPTIONS),
    /** 'sync' starts from `baselineExportId`'s files and reads only what changed; absent in events older than syncs: 'full'. */
    mode: ExportMode.optional(),
    baselineExportId: z.string().optional(),
    /** What asked for it; absent in older events (then `requestedBy` tells). */
    trigger: ExportTrigger.optional(),
  }),
  /** A runner claimed it; `attempt` is the claim's number (its fencing token), not what people see as attempts. */
  ExportStarted: z.object({ attempt: z.number().int().positive(), runner: z.string() }),
  PhaseChanged: z.object({ phase: z.enum(['discovering', 'exporting', 'finishing']) }),
  ItemsDiscovered: z.object({ items: z.array(DiscoveredItem) }),
  PagesExported: z.object({ items: z.array(ExportedItem), stats: RequestStats }),
  /** Files written or rewritten outside a page's own batch: resolved links, the report. */
  FilesWritten: z.object({ files: z.array(WrittenFileSchema), reason: z.enum(['links', 'report']) }),
  PageFailed: FailedItem,
  /**
   * The counts people see (ExportCounts in export-status: pages and databases apart, linked
   * databases skipped), and the requests made. Events recorded before `databases` and `skipped`
   * existed count the export's items done in `pages` (pages and databases, linked ones included).
   */
  ExportCompleted: z.object({
    pages: z.number().int().nonnegative(),
    databases: z.number().int().nonnegative().optional(),
    skipped: z.number().int().nonnegative().optional(),
    failed: z.number().int().nonnegative(),
    /** Files and bytes as defined in export-status (ExportCounts); in events of older code, as the manifest lists them (report.json included). */
    files: z.number().int().nonnegative(),
    bytes: z.number().int().nonnegative(),
    stats: RequestStats,
    /** Set when this run retried failed pages (FailedPagesRequeued): what became of them. */
    retried: RetriedPages.optional(),
    /** A sync's changes since its baseline; absent for full exports. */
    changes: ExportChanges.optional(),
  }),
  /**
   * Failed for good. `attempts`: how many attempts the automatic retries made (absent in events
   * recorded before they existed, and for errors no retry can fix).
   */
  ExportFailed: z.object({ reason: z.string(), retryable: z.boolean(), attempts: z.number().int().positive().optional() }),
  /** A retryable failure with retries left: queued again, to run at `retryAt` (retry `retry` of `maxRetries`). */
  ExportRetryScheduled: z.object({
    reason: z.string(),
    retryAt: z.iso.datetime(),
    retry: z.number().int().positive(),
    maxRetries: z.number().int().positive(),
  }),
  /** Stopped until someone resumes it: by a person, or because the token or the disk needs attention. */
  ExportPaused: z.object({ reason: z.string(), cause: PauseCause }),
  ExportResumed: z.object({ by: z.string() }),
  /** The runner stopped (shutdown) before the export ended: queued again, to resume from its checkpoints. */
  ExportInterrupted: z.object({ reason: z.string() }),
  /** Pages that could not be exported (dead letters) are tried again. */
  FailedPagesRequeued: z.object({ ids: z.array(z.string()) }),
  ExportCancelled: z.object({ reason: z.string() }),
  /** Kept whatever retention says (a snapshot people want to keep), until unpinned. `by`: who, by email. */
  ExportPinned: z.object({ by: z.string().optional() }),
  ExportUnpinned: z.object({ by: z.string().optional() }),
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

/** The counts an ExportCompleted event carries, as ExportCounts; undefined for events recorded before it carried them. */
export function completedCounts(data: z.infer<Schemas['ExportCompleted']>): ExportCounts | undefined {
  const { pages, databases, skipped, failed, files, bytes } = data;
  if (databases === undefined || skipped === undefined) return undefined;
  return { pages, databases, skipped, failed, files, bytes };
}

export const exportStreamId = (exportId: string) => `export-${exportId}`;
/** The export id of an `export-<id>` stream. */
export const exportIdOf = (streamId: string) => streamId.replace(/^export-/, '');

export type ExportState =
  | { status: 'initial' }
  | {
      status: ExportStatus;
      exportId: string;
      connectionId: string;
      formats: ExportFormat[];
      outDir: string;
      options: ExportOptions;
      /**
       * The attempt people see (0 before the first run): a run that failed and is retried
       * automatically is the next attempt; a pause, a shutdown or a takeover is not. Starts again
       * from 1 when a person resumes a failed export or retries its failed pages.
       */
      attempt: number;
      failed: number;
      pauseCause?: PauseCause;
      /** While failed pages are being retried: what the retry started from. */
      retrying: RetryingPages | null;
    };

export const initialState = (): ExportState => ({ status: 'initial' });

/** The status an export has after `event`; undefined when the event leaves it as it was. */
export function statusAfter(event: ExportEvent): ExportStatus | undefined {
  const { type } = event;
  switch (type) {
    case 'ExportRequested':
    case 'ExportRetryScheduled':
    case 'ExportResumed':
    case 'ExportInterrupted':
    case 'FailedPagesRequeued':
      return 'queued';
    case 'ExportStarted':
      return 'running';
    case 'ExportCompleted':
      return event.data.failed > 0 ? 'completed_with_errors' : 'completed';
    case 'ExportFailed':
      return 'failed';
    case 'ExportPaused':
      return 'paused';
    case 'ExportCancelled':
      return 'cancelled';
    case 'PhaseChanged':
    case 'ItemsDiscovered':
    case 'PagesExported':
    case 'PageFailed':
    case 'FilesWritten':
    case 'ExportPinned':
    case 'ExportUnpinned':
      return undefined;
    default: {
      const _exhaustive: never = type;
      return _exhaustive;
    }
  }
}

export function evolve(state: ExportState, event: ExportEvent): ExportState {
  if (event.type === 'ExportRequested') {
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
      retrying: null,
    };
  }
  if (state.status === 'initial') return state;
  const next = { ...state, status: statusAfter(event) ?? state.status };
  const { type } = event;
  switch (type) {
    case 'ExportStarted':
      return { ...next, attempt: Math.max(1, state.attempt) };
    case 'PageFailed':
      return { ...next, failed: state.failed + 1 };
    case 'ExportRetryScheduled':
      return { ...next, attempt: event.data.retry + 1 };
    case 'ExportPaused':
      return { ...next, pauseCause: event.data.cause };
    case 'ExportResumed':
      // A person resuming a failed export starts a new series of attempts; a pause is no attempt.
      return { ...next, pauseCause: undefined, attempt: state.status === 'failed' ? 0 : state.attempt };
    case 'FailedPagesRequeued': {
      const failed = Math.max(0, state.failed - event.data.ids.length);
      return { ...next, failed, attempt: 0, retrying: { requested: event.data.ids.length, failedBefore: failed } };
    }
    case 'ExportCompleted':
    case 'ExportCancelled':
      return { ...next, retrying: null };
    case 'ExportFailed':
    case 'ExportInterrupted':
    case 'PhaseChanged':
    case 'ItemsDiscovered':
    case 'PagesExported':
    case 'FilesWritten':
    case 'ExportPinned':
    case 'ExportUnpinned':
      return next;
    default: {
      const _exhaustive: never = type;
      return _exhaustive;
    }
  }
}
