import type { DiscoveredItem, ExportEvent, ExportFormat, ExportIssue, ExportOptions, ExportState, RequestStats } from './export';

export type ExportCommand =
  | {
      type: 'RequestExport';
      data: {
        exportId: string;
        connectionId: string;
        formats: ExportFormat[];
        outDir: string;
        requestedBy: 'dashboard' | 'cli' | 'scheduler';
        options: ExportOptions;
      };
    }
  | { type: 'StartExport'; data: { attempt: number; runner: string } }
  | { type: 'ChangePhase'; data: { phase: 'discovering' | 'exporting' | 'finishing' } }
  | {
      type: 'RecordProgress';
      data: {
        discovered: DiscoveredItem[];
        exported: {
          id: string;
          files: { path: string; bytes: number; sha256: string; sourceId: string }[];
          issues?: ExportIssue[];
          unresolvedLinks?: boolean;
        }[];
        failed: { id: string; kind: 'page' | 'database'; title: string; code: string; message: string }[];
        stats: RequestStats;
      };
    }
  | {
      type: 'CompleteExport';
      data: { pages: number; failed: number; files: number; bytes: number; stats: RequestStats };
    }
  | {
      type: 'RecordFiles';
      data: { files: { path: string; bytes: number; sha256: string; sourceId: string }[]; reason: 'links' | 'report' };
    }
  | { type: 'FailExport'; data: { reason: string; retryable: boolean } }
  | { type: 'CancelExport'; data: { reason: string } }
  | { type: 'PauseExport'; data: { reason: string; cause: 'user' | 'auth' | 'disk' } }
  | { type: 'ResumeExport'; data: { by: string } }
  | { type: 'RetryFailedPages'; data: { ids: string[] } };

/** A command that does not fit the export's current state. */
export class InvalidStateError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InvalidStateError';
  }
}

const ACTIVE = new Set(['queued', 'running']);

/** Pure: what happens when `command` meets `state`. */
export function decide(command: ExportCommand, state: ExportState): ExportEvent[] {
  const { type } = command;
  if (type === 'RequestExport') {
    if (state.status !== 'initial') throw new InvalidStateError(`Export ${command.data.exportId} already exists`);
    return [{ type: 'ExportRequested', data: command.data }];
  }
  if (state.status === 'initial') throw new InvalidStateError('Export does not exist');
  switch (type) {
    case 'StartExport':
      if (!ACTIVE.has(state.status)) throw new InvalidStateError(`Cannot start an export that is ${state.status}`);
      return [{ type: 'ExportStarted', data: command.data }];
    case 'ChangePhase':
      if (state.status !== 'running') throw new InvalidStateError(`Export is ${state.status}, not running`);
      return [{ type: 'PhaseChanged', data: command.data }];
    case 'RecordProgress': {
      if (state.status !== 'running') throw new InvalidStateError(`Export is ${state.status}, not running`);
      const { discovered, exported, failed, stats } = command.data;
      const out: ExportEvent[] = [];
      if (discovered.length > 0) out.push({ type: 'ItemsDiscovered', data: { items: discovered } });
      for (const f of failed) out.push({ type: 'PageFailed', data: f });
      if (exported.length > 0 || out.length === 0) out.push({ type: 'PagesExported', data: { items: exported, stats } });
      return out;
    }
    case 'RecordFiles':
      if (state.status !== 'running') throw new InvalidStateError(`Export is ${state.status}, not running`);
      return [{ type: 'FilesWritten', data: command.data }];
    case 'CompleteExport':
      if (state.status !== 'running') throw new InvalidStateError(`Export is ${state.status}, not running`);
      return [{ type: 'ExportCompleted', data: command.data }];
    case 'FailExport':
      if (!ACTIVE.has(state.status)) throw new InvalidStateError(`Export is already ${state.status}`);
      return [{ type: 'ExportFailed', data: command.data }];
    case 'CancelExport':
      if (!ACTIVE.has(state.status) && state.status !== 'paused') {
        throw new InvalidStateError(`Cannot cancel an export that is ${state.status}`);
      }
      return [{ type: 'ExportCancelled', data: command.data }];
    case 'PauseExport':
      if (!ACTIVE.has(state.status)) throw new InvalidStateError(`Cannot pause an export that is ${state.status}`);
      return [{ type: 'ExportPaused', data: command.data }];
    case 'ResumeExport':
      if (state.status !== 'paused' && state.status !== 'failed') {
        throw new InvalidStateError(`Cannot resume an export that is ${state.status}`);
      }
      return [{ type: 'ExportResumed', data: command.data }];
    case 'RetryFailedPages':
      if (state.status !== 'completed_with_errors') {
        throw new InvalidStateError(`Only an export completed with errors has pages to retry; this one is ${state.status}`);
      }
      if (command.data.ids.length === 0) throw new InvalidStateError('There are no failed pages to retry');
      return [{ type: 'FailedPagesRequeued', data: command.data }];
    default: {
      const _exhaustive: never = type;
      return _exhaustive;
    }
  }
}
