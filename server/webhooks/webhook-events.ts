import type {
  CommentCreatedWebhookPayload,
  CommentDeletedWebhookPayload,
  CommentUpdatedWebhookPayload,
  DatabaseContentUpdatedWebhookPayload,
  DatabaseCreatedWebhookPayload,
  DatabaseDeletedWebhookPayload,
  DatabaseMovedWebhookPayload,
  DatabaseSchemaUpdatedWebhookPayload,
  DatabaseUndeletedWebhookPayload,
  DataSourceContentUpdatedWebhookPayload,
  DataSourceCreatedWebhookPayload,
  DataSourceDeletedWebhookPayload,
  DataSourceMovedWebhookPayload,
  DataSourceSchemaUpdatedWebhookPayload,
  DataSourceUndeletedWebhookPayload,
  FileUploadCompletedWebhookPayload,
  FileUploadCreatedWebhookPayload,
  FileUploadExpiredWebhookPayload,
  FileUploadUploadFailedWebhookPayload,
  PageContentUpdatedWebhookPayload,
  PageCreatedWebhookPayload,
  PageDeletedWebhookPayload,
  PageLockedWebhookPayload,
  PageMovedWebhookPayload,
  PagePropertiesUpdatedWebhookPayload,
  PageTranscriptionBlockTranscriptDeletedWebhookPayload,
  PageUndeletedWebhookPayload,
  PageUnlockedWebhookPayload,
  ViewCreatedWebhookPayload,
  ViewDeletedWebhookPayload,
  ViewUpdatedWebhookPayload,
} from '@notionhq/client';
import { z } from 'zod';

/** Events that change what an export holds: each asks for a sync of the connection. */
export const SYNCING_EVENT_TYPES = [
  'page.created',
  'page.content_updated',
  'page.properties_updated',
  'page.moved',
  'page.deleted',
  'page.undeleted',
  'page.transcription_block.transcript_deleted',
  'data_source.created',
  'data_source.content_updated',
  'data_source.schema_updated',
  'data_source.moved',
  'data_source.deleted',
  'data_source.undeleted',
  'database.created',
  'database.content_updated',
  'database.schema_updated',
  'database.moved',
  'database.deleted',
  'database.undeleted',
] as const;

/** Events about what an export does not hold (locks, comments, uploads, views): acknowledged, nothing done. */
export const IGNORED_EVENT_TYPES = [
  'page.locked',
  'page.unlocked',
  'comment.created',
  'comment.updated',
  'comment.deleted',
  'file_upload.created',
  'file_upload.completed',
  'file_upload.expired',
  'file_upload.upload_failed',
  'view.created',
  'view.updated',
  'view.deleted',
] as const;

type SdkEventType = (
  | CommentCreatedWebhookPayload
  | CommentDeletedWebhookPayload
  | CommentUpdatedWebhookPayload
  | DataSourceContentUpdatedWebhookPayload
  | DataSourceCreatedWebhookPayload
  | DataSourceDeletedWebhookPayload
  | DataSourceMovedWebhookPayload
  | DataSourceSchemaUpdatedWebhookPayload
  | DataSourceUndeletedWebhookPayload
  | DatabaseContentUpdatedWebhookPayload
  | DatabaseCreatedWebhookPayload
  | DatabaseDeletedWebhookPayload
  | DatabaseMovedWebhookPayload
  | DatabaseSchemaUpdatedWebhookPayload
  | DatabaseUndeletedWebhookPayload
  | FileUploadCompletedWebhookPayload
  | FileUploadCreatedWebhookPayload
  | FileUploadExpiredWebhookPayload
  | FileUploadUploadFailedWebhookPayload
  | PageContentUpdatedWebhookPayload
  | PageCreatedWebhookPayload
  | PageDeletedWebhookPayload
  | PageLockedWebhookPayload
  | PageMovedWebhookPayload
  | PagePropertiesUpdatedWebhookPayload
  | PageTranscriptionBlockTranscriptDeletedWebhookPayload
  | PageUndeletedWebhookPayload
  | PageUnlockedWebhookPayload
  | ViewCreatedWebhookPayload
  | ViewDeletedWebhookPayload
  | ViewUpdatedWebhookPayload
)['type'];
type OurEventType = (typeof SYNCING_EVENT_TYPES)[number] | (typeof IGNORED_EVENT_TYPES)[number];

/** Compiles only while the two lists name exactly the SDK's event types: a new one must be sorted into one of them. */
const everySdkTypeSorted: [SdkEventType] extends [OurEventType] ? ([OurEventType] extends [SdkEventType] ? true : never) : never = true;
void everySdkTypeSorted;

/** An event type as the metric's label: one of the fixed lists, or `other`. */
export function eventTypeLabel(type: string): string {
  return (SYNCING_EVENT_TYPES as readonly string[]).includes(type) || (IGNORED_EVENT_TYPES as readonly string[]).includes(type) ? type : 'other';
}

export const isSyncingEvent = (type: string): boolean => (SYNCING_EVENT_TYPES as readonly string[]).includes(type);

const Id = z.string().min(1).max(100);

/**
 * The part of an event the endpoint reads (the rest is Notion's business): which workspace it
 * comes from and what kind it is. A sync reads every change anyway, so the entity is not needed.
 */
export const NotionWebhookEvent = z.object({
  id: Id,
  type: z.string().min(1).max(100),
  timestamp: z.string().max(64),
  workspace_id: Id,
  integration_id: Id.optional(),
  subscription_id: Id.optional(),
  entity: z.object({ id: Id, type: z.string().max(40) }).optional(),
  attempt_number: z.number().int().optional(),
});
export type NotionWebhookEvent = z.infer<typeof NotionWebhookEvent>;

/**
 * The one-time request of a new subscription: the token an admin pastes into Notion (printable
 * characters only). No event carries this field; other fields Notion may add are left aside.
 */
export const VerificationRequest = z.object({
  verification_token: z
    .string()
    .min(16)
    .max(512)
    .regex(/^[\x21-\x7e]+$/),
});
