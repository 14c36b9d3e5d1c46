/** The Notion twin: a deterministic fake of the Notion REST API for tests, benchmarks and demos. */
export type { Attachment, AttachmentPlace } from './attachments';
export { fileContent, fileDigest, LARGE_FILE_BYTES, LARGE_FILE_NAME, signedFileUrl } from './files';
export { type LinkedDatabaseError, MAX_PAGE_SIZE, ROUTES } from './handlers';
export { SCHEMA as DATA_SOURCE_SCHEMA, INLINE_REFERENCE_LIMIT, MILESTONE_SCHEMA } from './properties';
export {
  type ChaosOptions,
  DEFAULT_TOKEN,
  type FaultOptions,
  type NotionErrorCode,
  NOTION_VERSION,
  type RateLimit,
  type RateLimitReason,
  startTwin,
  type TokenBucketLimit,
  type Twin,
  type TwinControls,
  type TwinFault,
  type TwinOptions,
  type TwinRequest,
  type TwinStats,
  type WindowLimit,
} from './server';
export {
  ADDABLE_PROPERTY_TYPES,
  type Access,
  type AddablePropertyType,
  type ChangeTime,
  DEFAULT_WORKSPACE_OPTIONS,
  generateWorkspace,
  type NewPage,
  type NewProperty,
  type NewRow,
  type PageEdit,
  type PageMove,
  type PropertyEdit,
  TwinChangeError,
  type ResolvedWorkspaceOptions,
  type TwinDatabase,
  type TwinDataSource,
  type TwinLinkedDatabase,
  type TwinPage,
  Workspace,
  type WorkspaceOptions,
} from './workspace';
