import { sql } from 'drizzle-orm';
import { index, integer, primaryKey, real, sqliteTable, text, uniqueIndex } from 'drizzle-orm/sqlite-core';
import { EXPORT_STATUSES, type RetriedPages, type RetryingPages } from '@/server/export/domain/export-status';

/** The append-only event log: the source of truth for every export. */
export const events = sqliteTable(
  'events',
  {
    globalPosition: integer().primaryKey({ autoIncrement: true }),
    eventId: text().notNull(),
    streamId: text().notNull(),
    streamVersion: integer().notNull(),
    type: text().notNull(),
    data: text({ mode: 'json' }).notNull().$type<unknown>(),
    metadata: text({ mode: 'json' }).notNull().$type<Record<string, unknown>>(),
    recordedAt: integer({ mode: 'timestamp_ms' }).notNull(),
  },
  (t) => [
    uniqueIndex('events_stream_version_uq').on(t.streamId, t.streamVersion),
    uniqueIndex('events_event_id_uq').on(t.eventId),
  ],
);

/** Notion connections; the token is stored encrypted (AES-256-GCM). */
export const connections = sqliteTable('connections', {
  id: text().primaryKey(),
  name: text().notNull(),
  baseUrl: text(),
  tokenCiphertext: text().notNull(),
  tokenHash: text().notNull(),
  tokenHint: text().notNull(),
  botName: text(),
  workspaceName: text(),
  /** The workspace's id from `users/me` (bot.workspace_id): tokens into one workspace share its request limit. */
  workspaceId: text(),
  createdAt: integer({ mode: 'timestamp_ms' }).notNull(),
  checkedAt: integer({ mode: 'timestamp_ms' }),
  /** When an admin removed it and chose to keep its exports (hidden from the list, its exports keep its name); null while in use. */
  removedAt: integer({ mode: 'timestamp_ms' }),
});

export type ExportPhase = 'queued' | 'discovering' | 'exporting' | 'finishing' | 'done';

/** Read model of the export streams (inline projection). */
export const exports = sqliteTable(
  'exports',
  {
    id: text().primaryKey(),
    connectionId: text()
      .notNull()
      .references(() => connections.id),
    status: text({ enum: EXPORT_STATUSES }).notNull(),
    /** Why it is in its status when a person or the runner chose it (paused, cancelled, interrupted); not an error. */
    statusReason: text(),
    phase: text().$type<ExportPhase>().notNull(),
    formats: text({ mode: 'json' }).notNull().$type<string[]>(),
    options: text({ mode: 'json' }).notNull().default(sql`'{}'`).$type<{ naming?: 'notion' | 'clean'; downloadExternal?: boolean }>(),
    outDir: text().notNull(),
    /** Progress, in pages and databases together: found, done (exported or skipped), failed. */
    pagesDiscovered: integer().notNull().default(0),
    pagesDone: integer().notNull().default(0),
    pagesFailed: integer().notNull().default(0),
    /** The counts people see (ExportCounts in export-status): pages and databases exported, linked databases skipped. */
    pagesExported: integer().notNull().default(0),
    databasesExported: integer().notNull().default(0),
    skipped: integer().notNull().default(0),
    /** Every file of the export but report.json and manifest.json, and their bytes. */
    filesWritten: integer().notNull().default(0),
    bytesWritten: integer().notNull().default(0),
    requests: integer().notNull().default(0),
    rateLimited: integer().notNull().default(0),
    retries: integer().notNull().default(0),
    /** Requests per second the limiter learned from Notion's 429s, below the budget; null at the budget. */
    pacedRate: real(),
    /** The attempt people see (0 before the first run); automatic retries count, pauses and shutdowns do not. */
    attempt: integer().notNull().default(0),
    /** How many attempts the automatic retries allow, once a retry was scheduled. */
    maxAttempts: integer(),
    /** When a retryable failure runs again (null unless a retry is scheduled). */
    retryAt: integer({ mode: 'timestamp_ms' }),
    /** The last problem someone may have to act on (a page that failed, a failure, a refused token, a full disk). */
    lastError: text(),
    requestedAt: integer({ mode: 'timestamp_ms' }).notNull(),
    /** The email of the person who started it from the dashboard; null for the CLI and schedules. */
    requestedByUser: text(),
    startedAt: integer({ mode: 'timestamp_ms' }),
    finishedAt: integer({ mode: 'timestamp_ms' }),
    /** Time spent running in the runs that ended; with `runningSince`, the running time without paused or queued time. */
    activeMs: integer().notNull().default(0),
    /** Start of the run under way (null when not running). */
    runningSince: integer({ mode: 'timestamp_ms' }),
    /** While failed pages are retried: how many were requeued, and how many failures were not. */
    retryingPages: text({ mode: 'json' }).$type<RetryingPages>(),
    /** What the last retry of failed pages came to. */
    retriedPages: text({ mode: 'json' }).$type<RetriedPages>(),
    /** `full` reads the whole workspace; `sync` starts from `baselineExportId`'s files and fetches only what changed. */
    mode: text().$type<ExportMode>().notNull().default('full'),
    /** The finished export a sync starts from (its folder for the CLI's in-place sync, the previous snapshot otherwise). */
    baselineExportId: text(),
    /** What asked for it: a person in the dashboard, the CLI, a schedule or a webhook. */
    trigger: text().$type<ExportTrigger>().notNull().default('manual'),
    /** A pinned snapshot is never pruned by retention. */
    pinned: integer({ mode: 'boolean' }).notNull().default(false),
    /** What a sync changed: ids and titles per kind (null for a full export). */
    changes: text({ mode: 'json' }).$type<ExportChanges>(),
    streamVersion: integer().notNull(),
    lastPosition: integer().notNull(),
  },
  (t) => [
    index('exports_out_dir_idx').on(t.outDir),
    index('exports_status_idx').on(t.status),
    index('exports_connection_idx').on(t.connectionId, t.requestedAt),
  ],
);

export type ItemKind = 'page' | 'database';
export type ItemStatus = 'candidate' | 'pending' | 'done' | 'failed';

/**
 * Read model of what an export has discovered and finished: the work queue and the checkpoints
 * a resumed export continues from.
 */
export const exportItems = sqliteTable(
  'export_items',
  {
    exportId: text().notNull(),
    itemId: text().notNull(),
    kind: text().$type<ItemKind>().notNull(),
    status: text().$type<ItemStatus>().notNull(),
    title: text().notNull(),
    parentId: text(),
    dir: text(),
    stem: text(),
    error: text(),
    unresolvedLinks: integer({ mode: 'boolean' }).notNull().default(false),
    /** Notion's `last_edited_time` of the item as this export read it (ISO, minute precision), for the next sync. */
    lastEditedTime: text(),
    /** When this export read the item (ms): an edit in that same minute leaves `last_edited_time` unchanged, so the next sync reads it again. */
    readAt: integer(),
    seq: integer().notNull(),
  },
  (t) => [primaryKey({ columns: [t.exportId, t.itemId] }), index('export_items_queue_idx').on(t.exportId, t.status, t.seq)],
);

/** Read model of every file an export wrote, for its manifest. */
export const exportFiles = sqliteTable(
  'export_files',
  {
    exportId: text().notNull(),
    path: text().notNull(),
    bytes: integer().notNull(),
    sha256: text().notNull(),
    sourceId: text().notNull(),
  },
  (t) => [primaryKey({ columns: [t.exportId, t.path] }), index('export_files_source_idx').on(t.exportId, t.sourceId)],
);

/** Read model of what an export could not carry over (for report.json and the dashboard). */
export const exportIssues = sqliteTable(
  'export_issues',
  {
    id: integer().primaryKey({ autoIncrement: true }),
    exportId: text().notNull(),
    itemId: text().notNull(),
    kind: text().notNull(),
    sourceId: text().notNull(),
    message: text().notNull(),
  },
  (t) => [uniqueIndex('export_issues_uq').on(t.exportId, t.itemId, t.kind, t.sourceId)],
);

/**
 * Page objects already read (search results, data source rows), kept until their page is
 * exported so it is not fetched again: a cache on disk, not a read model (not derived from events).
 */
export const exportPageObjects = sqliteTable(
  'export_page_objects',
  {
    exportId: text().notNull(),
    pageId: text().notNull(),
    data: text({ mode: 'json' }).notNull().$type<unknown>(),
  },
  (t) => [primaryKey({ columns: [t.exportId, t.pageId] })],
);

/** Claims: which runner holds which export, until when. Not derived from events. */
export const exportJobs = sqliteTable(
  'export_jobs',
  {
    exportId: text().primaryKey(),
    connectionId: text().notNull(),
    status: text().$type<'queued' | 'running' | 'paused' | 'finished'>().notNull(),
    leaseOwner: text(),
    leaseExpiresAt: integer(),
    attempt: integer().notNull().default(0),
    runAt: integer().notNull(),
    createdAt: integer().notNull().default(sql`(unixepoch('subsec') * 1000)`),
  },
  (t) => [index('export_jobs_status_idx').on(t.status, t.runAt)],
);

export type ExportMode = 'full' | 'sync';
export type ExportTrigger = 'manual' | 'cli' | 'schedule' | 'webhook';
export interface ChangedItem {
  id: string;
  title: string;
  kind: ItemKind;
}
export interface ExportChanges {
  added: ChangedItem[];
  updated: ChangedItem[];
  moved: (ChangedItem & { from: string; to: string })[];
  removed: (ChangedItem & { reason: string })[];
}

/**
 * A connection's schedule: when its syncs run (a cron expression in a time zone) and which of its
 * snapshots are kept (restic's keep-* rules; null: that rule is not used).
 */
export const schedules = sqliteTable('schedules', {
  connectionId: text()
    .primaryKey()
    .references(() => connections.id),
  cron: text().notNull(),
  timezone: text().notNull(),
  enabled: integer({ mode: 'boolean' }).notNull().default(true),
  formats: text({ mode: 'json' }).notNull().$type<string[]>(),
  options: text({ mode: 'json' }).notNull().default(sql`'{}'`).$type<{ naming?: 'notion' | 'clean'; downloadExternal?: boolean }>(),
  keepLast: integer(),
  keepHourly: integer(),
  keepDaily: integer(),
  keepWeekly: integer(),
  keepMonthly: integer(),
  keepYearly: integer(),
  /** A duration such as `30d`, `2w`, `1y6m` (restic's --keep-within). */
  keepWithin: text(),
  /** The last time the schedule was due and a sync was requested for it (ms). */
  lastDueAt: integer({ mode: 'timestamp_ms' }),
  createdAt: integer({ mode: 'timestamp_ms' }).notNull(),
  updatedAt: integer({ mode: 'timestamp_ms' }).notNull(),
  updatedBy: text(),
});

/** Settings that change at run time. */
export const settings = sqliteTable('settings', {
  key: text().primaryKey(),
  value: text({ mode: 'json' }).notNull().$type<unknown>(),
});

/*
 * People who may use the dashboard (better-auth's tables, with the admin plugin's fields; see
 * server/auth/auth.ts). Property names are better-auth's field names.
 */

/** A person; `role` is admin, operator or viewer (server/auth/roles.ts). */
export const authUsers = sqliteTable('user', {
  id: text().primaryKey(),
  name: text().notNull(),
  email: text().notNull().unique(),
  emailVerified: integer({ mode: 'boolean' }).notNull().default(false),
  image: text(),
  createdAt: integer({ mode: 'timestamp_ms' }).notNull(),
  updatedAt: integer({ mode: 'timestamp_ms' }).notNull(),
  role: text(),
  banned: integer({ mode: 'boolean' }).default(false),
  banReason: text(),
  banExpires: integer({ mode: 'timestamp_ms' }),
});

/** A signed-in browser: the cookie holds the token, signed. */
export const authSessions = sqliteTable(
  'session',
  {
    id: text().primaryKey(),
    expiresAt: integer({ mode: 'timestamp_ms' }).notNull(),
    token: text().notNull().unique(),
    createdAt: integer({ mode: 'timestamp_ms' }).notNull(),
    updatedAt: integer({ mode: 'timestamp_ms' }).notNull(),
    ipAddress: text(),
    userAgent: text(),
    userId: text()
      .notNull()
      .references(() => authUsers.id, { onDelete: 'cascade' }),
    impersonatedBy: text(),
  },
  (t) => [index('session_user_id_idx').on(t.userId)],
);

/** How a person signs in: `credential` accounts hold the password hash (scrypt). */
export const authAccounts = sqliteTable(
  'account',
  {
    id: text().primaryKey(),
    accountId: text().notNull(),
    providerId: text().notNull(),
    userId: text()
      .notNull()
      .references(() => authUsers.id, { onDelete: 'cascade' }),
    accessToken: text(),
    refreshToken: text(),
    idToken: text(),
    accessTokenExpiresAt: integer({ mode: 'timestamp_ms' }),
    refreshTokenExpiresAt: integer({ mode: 'timestamp_ms' }),
    scope: text(),
    password: text(),
    createdAt: integer({ mode: 'timestamp_ms' }).notNull(),
    updatedAt: integer({ mode: 'timestamp_ms' }).notNull(),
  },
  (t) => [index('account_user_id_idx').on(t.userId)],
);

/** better-auth's short-lived values (unused by email + password sign-in today, required by it). */
export const authVerifications = sqliteTable(
  'verification',
  {
    id: text().primaryKey(),
    identifier: text().notNull(),
    value: text().notNull(),
    expiresAt: integer({ mode: 'timestamp_ms' }).notNull(),
    createdAt: integer({ mode: 'timestamp_ms' }).notNull(),
    updatedAt: integer({ mode: 'timestamp_ms' }).notNull(),
  },
  (t) => [index('verification_identifier_idx').on(t.identifier)],
);

/** Sign-in attempts per client and path, shared by every process on this database. */
export const authRateLimits = sqliteTable('rate_limit', {
  id: text().primaryKey(),
  key: text().notNull().unique(),
  count: integer().notNull(),
  lastRequest: integer().notNull(),
});

/** The one-time link that makes the first admin: only the SHA-256 of its token is kept. */
export const setupTokens = sqliteTable('setup_tokens', {
  tokenHash: text().primaryKey(),
  createdAt: integer({ mode: 'timestamp_ms' }).notNull(),
});

/**
 * Failed sign-ins per account (`account:<email>`) and per client address (`address:<ip>`), in the
 * database so every process sharing it counts the same attempts (server/auth/login-limits.ts).
 */
export const loginAttempts = sqliteTable('login_attempts', {
  key: text().primaryKey(),
  failures: integer().notNull(),
  /** Start of the window the failures are counted in. */
  windowStartedAt: integer({ mode: 'timestamp_ms' }).notNull(),
  /** Sign-ins for this key are refused until then (null when not locked). */
  lockedUntil: integer({ mode: 'timestamp_ms' }),
});

/**
 * The audit log: who did what, when, from where (server/audit/audit-log.ts). Append-only; never
 * a token or a password in `detail`.
 */
export const auditEvents = sqliteTable(
  'audit_events',
  {
    position: integer().primaryKey({ autoIncrement: true }),
    at: integer({ mode: 'timestamp_ms' }).notNull(),
    /** What happened, such as `sign-in`, `sign-in-failed`, `export.started`, `user.role-changed`. */
    action: text().notNull(),
    /** `ok`, or `refused` when it was not allowed or failed (a wrong password, a locked account). */
    outcome: text().$type<'ok' | 'refused'>().notNull(),
    actorId: text(),
    /** The email the actor had (or tried, for a failed sign-in). */
    actorEmail: text(),
    /** The client address, as the server saw it. */
    address: text(),
    /** What it was done to: `export`, `connection`, `user`, `settings`. */
    targetType: text(),
    targetId: text(),
    detail: text({ mode: 'json' }).notNull().default(sql`'{}'`).$type<Record<string, unknown>>(),
  },
  (t) => [index('audit_events_at_idx').on(t.at), index('audit_events_action_idx').on(t.action), index('audit_events_actor_idx').on(t.actorEmail)],
);

/** An invitation to make an account: only the SHA-256 of the link's token is kept; it expires and is used once. */
export const invites = sqliteTable('invites', {
  tokenHash: text().primaryKey(),
  email: text().notNull(),
  role: text().notNull(),
  invitedBy: text().notNull(),
  createdAt: integer({ mode: 'timestamp_ms' }).notNull(),
  expiresAt: integer({ mode: 'timestamp_ms' }).notNull(),
  usedAt: integer({ mode: 'timestamp_ms' }),
});
