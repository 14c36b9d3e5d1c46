/** The Notion twin: a deterministic fake of the Notion REST API for tests, benchmarks and demos. */
export { fileContent, signedFileUrl } from './files';
export { MAX_PAGE_SIZE, ROUTES } from './handlers';
export { SCHEMA as DATA_SOURCE_SCHEMA, INLINE_REFERENCE_LIMIT } from './properties';
export {
  DEFAULT_TOKEN,
  type FaultOptions,
  NOTION_VERSION,
  type RateLimit,
  startTwin,
  type Twin,
  type TwinFault,
  type TwinOptions,
  type TwinStats,
} from './server';
export {
  DEFAULT_WORKSPACE_OPTIONS,
  generateWorkspace,
  type ResolvedWorkspaceOptions,
  type TwinDatabase,
  type TwinPage,
  Workspace,
  type WorkspaceOptions,
} from './workspace';
