// First: V8 settings that must be in place before the rest of the program loads.
import './memory-flags';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { eq } from 'drizzle-orm';
import { exports } from '@/db/schema';
import { PROGRESS_MODES, type ProgressMode, type ProgressReporter, progressReporter } from './cli-progress';
import { ConfigError, loadConfig, secretFromEnv } from './config';
import { ensureConnection } from './connections/connections';
import { createAppContext } from './context';
import { serveProcessMetrics } from './observability/metrics-server';
import type { AppContext } from './app-context';
import { DomainError } from './errors';
import { describeLogLine, sendLogsTo } from './observability/logger';
import { startTracing, stopTracing } from './observability/tracing';
import { EXPORT_FORMATS, type ExportChanges, ExportFormat, exportStreamId } from '@/server/export/domain/export';
import { cancelExport, pauseExport, resumeExport, retryFailedPages } from '@/server/export/control/export-control';
import { getExport, type ExportView, listExports } from '@/server/export/control/export-queries';
import {
  allows,
  canResume,
  countsOf,
  describeChanges,
  describeCounts,
  describeQueueWait,
  describeRetried,
  exportStatusLabel,
  isDownloadable,
} from '@/server/export/domain/export-status';
import { verifyManifest } from '@/server/export/files/manifest';
import { findUnfinishedExport, requestExport, requestSync } from '@/server/export/control/request-export';
import { sleep } from './retry/sleep';
import { Runner } from './runner/runner';
import { ROTATE_KEY_USAGE, rotateKeyCommand } from './auth/key-rotation';
import { WEBHOOK_TOKENS_SEALED } from './webhooks/webhook-tokens';
import { TokenKeyError } from './auth/token-key';

const USAGE = `Usage: npm run notion-sync -- export --out <dir> [--format ${EXPORT_FORMATS.join(',')}] [--naming notion|clean] [--download-external] [--progress human|json]

Exports everything the integration token can see into <dir>.
  --out <dir>           folder that receives the export tree (report.json and manifest.json included)
  --format <list>       comma-separated formats: ${EXPORT_FORMATS.join(', ')} (default: all)
  --naming <mode>       notion: "Title <id>.md" like Notion's own export (default); clean: "Title.md"
  --download-external   also download files that pages only link to (Notion-hosted files always are)
  --progress <mode>     human: a progress line and a summary (default); json: one JSON object per
                        line on stderr: {"type":"progress",…} at each update, {"type":"message","text"}
                        for anything else, and last {"type":"result","exitCode","status",…counts}

Environment:
  NOTION_TOKEN       the integration token (required; or NOTION_TOKEN_FILE, a file holding it)
  NOTION_BASE_URL    the Notion API base URL (default: the real Notion API)
  DATABASE_URL       state database (default: file:./data/notion-sync.db)

Running the same command again after an interruption resumes the unfinished export.
Exit codes: 0 completed, 1 failed or bad usage, 2 completed with pages that could not be exported.

       npm run notion-sync -- sync --out <dir> [the options of export]

Brings <dir> to the workspace's current state, reading only what changed since the last export
or sync into it (the first run is a full export): pages and rows added, edited, moved, renamed,
trashed or no longer shared, databases and their schemas. Unchanged files are left as they are.
What changed is summed up on stderr and listed in report.json ("changes"). Exit codes as for export.

       npm run notion-sync -- verify <export dir>

Recomputes the checksum of every file listed in the export's manifest.json and names any
missing, changed or extra file. Exit codes: 0 intact, 3 differences found, 1 no manifest.

       npm run notion-sync -- exports | pause <id> | resume <id> | cancel <id> | retry <id> [page id…]

Lists exports; pauses, resumes or cancels one (cancel removes the files it wrote); retries the
pages an export could not read (all, or the ones named).

${ROTATE_KEY_USAGE}`;

/** Another runner holds the export (until it gives it back or its lease runs out): look again this often. */
const LOOK_AGAIN_MS = 1000;

class UsageError extends Error {}

function parseFormats(value: string | undefined): ExportFormat[] {
  if (!value) return [...EXPORT_FORMATS];
  const formats = value.split(',').map((f) => f.trim()).filter(Boolean);
  for (const f of formats) {
    if (!ExportFormat.safeParse(f).success) {
      throw new UsageError(`Unknown format "${f}". Choose from: ${EXPORT_FORMATS.join(', ')}`);
    }
  }
  if (formats.length === 0) throw new UsageError('--format needs at least one format');
  return formats as ExportFormat[];
}

const isProgressMode = (value: string): value is ProgressMode => (PROGRESS_MODES as readonly string[]).includes(value);

/** The `--progress` mode of an export command, read before anything else can fail, so every line it writes is in that mode. */
function progressModeOf(args: string[]): ProgressMode {
  const { values } = parseArgs({ args, options: { progress: { type: 'string' } }, strict: false, allowPositionals: true });
  return values.progress === 'json' ? 'json' : 'human';
}

async function exportCommand(args: string[], reporter: ProgressReporter, mode: 'export' | 'sync' = 'export'): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      out: { type: 'string' },
      format: { type: 'string' },
      naming: { type: 'string' },
      'download-external': { type: 'boolean' },
      progress: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  });
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  if (values.progress !== undefined && !isProgressMode(values.progress)) {
    throw new UsageError(`Unknown progress mode "${values.progress}". Choose human or json`);
  }
  if (!values.out) throw new UsageError('Missing --out <dir>');
  const formats = parseFormats(values.format);
  if (values.naming !== undefined && values.naming !== 'notion' && values.naming !== 'clean') {
    throw new UsageError(`Unknown naming "${values.naming}". Choose notion or clean`);
  }
  const options = { naming: (values.naming ?? 'notion') as 'notion' | 'clean', downloadExternal: !!values['download-external'] };
  const config = loadConfig();
  const token = secretFromEnv(process.env, 'NOTION_TOKEN')?.trim();
  if (!token) throw new UsageError('Set NOTION_TOKEN (or NOTION_TOKEN_FILE) to the Notion integration token');
  const outDir = path.resolve(values.out);

  await startTracing(config.tracing);
  const ctx = await createAppContext({ ...config, runnerEnabled: false });
  try {
    const connection = await ensureConnection(ctx, { token, baseUrl: config.notionBaseUrl, name: 'CLI' });
    const unfinished = await findUnfinishedExport(ctx, outDir);
    let exportId: string;
    if (unfinished) {
      exportId = unfinished;
      reporter.message(`Resuming export ${exportId} into ${outDir}`);
      if (canResume((await getExport(ctx.database.db, exportId)).status)) await resumeExport(ctx, exportId, 'the CLI');
    } else if (mode === 'sync') {
      // In place: the folder's last export is the baseline; without one, a full export.
      const sync = await requestSync(ctx, { connectionId: connection.id, formats, outDir, trigger: 'cli', options });
      exportId = sync.exportId;
      const what = sync.baselineExportId ? `Sync ${exportId} (from ${sync.baselineExportId})` : `Export ${exportId} (no earlier export to sync from)`;
      reporter.message(`${what} of "${connection.workspaceName ?? connection.name}" into ${outDir}`);
    } else {
      exportId = await requestExport(ctx, { connectionId: connection.id, formats, outDir, requestedBy: 'cli', options });
      reporter.message(`Export ${exportId} of "${connection.workspaceName ?? connection.name}" into ${outDir}`);
    }

    // Progress as it is recorded: the row read after each append to the export's stream, in order.
    const streamId = exportStreamId(exportId);
    let shown = Promise.resolve();
    const show = async () => {
      const [row] = await ctx.database.db.select().from(exports).where(eq(exports.id, exportId));
      if (row) reporter.progress(row);
    };
    const unsubscribe = ctx.feed.subscribe((events) => {
      if (events.some((e) => e.streamId === streamId)) shown = shown.then(show);
    });

    const metrics = await serveProcessMetrics(config, (line) => reporter.message(`Serving ${line}`));
    metrics?.serveHealth(ctx, { runner: true });
    const runner = new Runner(ctx, { exportId, leaseMs: ctx.config.leaseMs });
    const stop = new AbortController();
    let stopped: Promise<void> | undefined;
    const onSignal = () => {
      reporter.message('Stopping; run the same command again to resume.');
      stop.abort();
      stopped = runner.stop();
    };
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
    try {
      await runToEnd(ctx, runner, exportId, stop.signal, reporter);
      await stopped;
    } finally {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      unsubscribe();
      await metrics?.close();
    }
    await shown;
    const ended = await getExport(ctx.database.db, exportId);
    if (ended.changes) for (const line of describeSyncChanges(ended.changes)) reporter.message(line);
    return reporter.result(ended);
  } finally {
    ctx.database.close();
    await stopTracing();
  }
}

/**
 * Runs the export in this process until it ends, or until `stop`. Meanwhile another runner may
 * hold it (this one takes over once that one gives it back or its lease runs out), or a retryable
 * failure may have queued it for later (this one waits for its retry time).
 */
async function runToEnd(ctx: AppContext, runner: Runner, exportId: string, stop: AbortSignal, reporter: ProgressReporter): Promise<void> {
  for (;;) {
    const outcome = await runner.runOnce();
    // 'aborted' without a stop here: this runner lost its lease (a heartbeat missed while the
    // machine was too busy, or another runner took over); the status below says whether the
    // export is still there to take again once the lease runs out.
    if (stop.aborted || (outcome !== undefined && outcome !== 'retrying' && outcome !== 'aborted')) return;
    const { status, wait } = await getExport(ctx.database.db, exportId);
    // Completed by another runner, or paused or cancelled meanwhile: nothing more to run here.
    if (!allows('StartExport', status)) return;
    if (outcome === 'retrying' && wait) reporter.message(`${describeQueueWait(wait)}.`);
    const ms = wait?.reason === 'retry' ? Math.max(0, Date.parse(wait.at) - Date.now()) : LOOK_AGAIN_MS;
    // A wait that holds the process open: waiting for its turn is all the CLI does meanwhile.
    try {
      await sleep(ms, stop);
    } catch (error) {
      if (stop.aborted) return;
      throw error;
    }
  }
}

/** What a sync changed, for stderr: the counts, then each item (the first few of each kind). */
function describeSyncChanges(changes: ExportChanges, limit = 20): string[] {
  const lines = [`Changes: ${describeChanges(changes)}.`];
  const list = (label: string, items: { id: string; title: string }[], note: (i: number) => string = () => '') => {
    for (const [i, item] of items.slice(0, limit).entries()) lines.push(`  ${label} ${item.title || 'Untitled'} (${item.id})${note(i)}`);
    if (items.length > limit) lines.push(`  … and ${items.length - limit} more ${label}`);
  };
  list('added', changes.added);
  list('updated', changes.updated);
  list('moved', changes.moved, (i) => `: ${changes.moved[i]?.from || '.'} → ${changes.moved[i]?.to || '.'}`);
  list('removed', changes.removed, (i) => `: ${changes.removed[i]?.reason}`);
  return lines;
}

function log(message: string): void {
  process.stderr.write(`${message}\n`);
}

/** `exports`, `pause <id>`, `resume <id>`, `cancel <id>`, `retry <id> [page ids…]`: the same commands as the dashboard. */
async function controlCommand(command: string, args: string[]): Promise<number> {
  const { positionals } = parseArgs({ args, allowPositionals: true, strict: true, options: {} });
  const config = loadConfig();
  const ctx = await createAppContext({ ...config, runnerEnabled: false });
  try {
    if (command === 'exports') {
      for (const row of await listExports(ctx.database.db, { limit: 50 })) process.stdout.write(exportLine(row));
      return 0;
    }
    const [id, ...pages] = positionals;
    if (!id) throw new UsageError(`${command} needs an export id (see: npm run notion-sync -- exports)`);
    if (command === 'pause') await pauseExport(ctx, id, 'the CLI');
    else if (command === 'resume') await resumeExport(ctx, id, 'the CLI');
    else if (command === 'cancel') await cancelExport(ctx, id, 'Cancelled from the CLI');
    else log(`Retrying ${await retryFailedPages(ctx, id, pages.length > 0 ? pages : undefined)} pages.`);
    log(`${command}: done. A running dashboard or worker picks it up; or run the export command again.`);
    return 0;
  } finally {
    ctx.database.close();
  }
}

/** One export of the `exports` list: id, status, progress, folder; then what it waits for, came to, or stopped on. */
function exportLine(row: ExportView): string {
  const progress = `${String(row.pagesDone + row.pagesFailed).padStart(6)}/${String(row.pagesDiscovered).padEnd(6)}`;
  const results = [describeCounts(countsOf(row)), row.retriedPages && describeRetried(row.retriedPages)].filter(Boolean).join('; ');
  const note = row.wait ? describeQueueWait(row.wait) : isDownloadable(row.status) ? results : (row.statusReason ?? row.lastError);
  return `${row.id}  ${exportStatusLabel(row.status).padEnd(21)} ${progress} ${row.outDir}\n${note ? `    ${note}\n` : ''}`;
}

async function verifyCommand(args: string[]): Promise<number> {
  const { positionals } = parseArgs({ args, allowPositionals: true, strict: true, options: {} });
  const [folder] = positionals;
  if (positionals.length !== 1 || folder === undefined) throw new UsageError('verify needs exactly one export folder');
  const root = path.resolve(folder);
  let check: Awaited<ReturnType<typeof verifyManifest>>;
  try {
    check = await verifyManifest(root);
  } catch (error) {
    log(`Cannot verify ${root}: ${error instanceof Error ? error.message : String(error)}`);
    return 1;
  }
  const problems = [
    ...check.missing.map((p) => `missing: ${p}`),
    ...check.changed.map((p) => `changed: ${p}`),
    ...check.extra.map((p) => `extra:   ${p}`),
  ];
  for (const line of problems) process.stdout.write(`${line}\n`);
  if (problems.length === 0) {
    log(`OK: every file in ${root} matches its manifest.`);
    return 0;
  }
  log(`${check.missing.length} missing, ${check.changed.length} changed, ${check.extra.length} extra.`);
  return 3;
}

export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  // The export command reports in its --progress mode (every stderr line JSON in json mode); the others in words.
  const exporting = command === 'export' || command === 'sync';
  const reporter = progressReporter(exporting ? progressModeOf(rest) : 'human', (text) => process.stderr.write(text), process.stderr.isTTY);
  // The log speaks through the reporter (stderr keeps its format; stdout is the commands' output),
  // and only of errors unless LOG_LEVEL asks for more: the report already names failed pages.
  sendLogsTo((line) => reporter.message(describeLogLine(line)), { level: 'error' });
  try {
    if (command === 'export') return await exportCommand(rest, reporter);
    if (command === 'sync') return await exportCommand(rest, reporter, 'sync');
    if (command === 'verify') return await verifyCommand(rest);
    if (command && ['exports', 'pause', 'resume', 'cancel', 'retry'].includes(command)) return await controlCommand(command, rest);
    if (command === 'rotate-key') return await rotateKeyCommand(rest, process.env, undefined, [WEBHOOK_TOKENS_SEALED]);
    if (command === 'users') {
      // People (server/auth/users-command.ts): add, list, set-role, remove, on the database directly.
      const ctx = await createAppContext({ ...loadConfig(), runnerEnabled: false });
      try {
        process.stdout.write(await (await import('./auth/users-command')).usersCommand(ctx, rest, process.stdin));
        return 0;
      } finally {
        ctx.database.close();
      }
    }
    if (!command || command === '--help' || command === '-h' || command === 'help') {
      process.stdout.write(`${USAGE}\n`);
      return command ? 0 : 1;
    }
    throw new UsageError(`Unknown command "${command}"`);
  } catch (error) {
    return reporter.failure(failureText(error));
  }
}

function failureText(error: unknown): string {
  if (error instanceof UsageError) return `${error.message}\n\n${USAGE}`;
  if (error instanceof ConfigError || error instanceof DomainError || error instanceof TokenKeyError) return error.message;
  // Built, the users command is a file of its own (scripts/build-bundles.mjs) with its own DomainError class.
  if (error instanceof Error && error.name === 'DomainError') return error.message;
  if (error instanceof Error && error.name === 'TypeError' && /parseArgs|Unknown option/.test(error.message)) return error.message;
  return `Error: ${error instanceof Error ? error.message : String(error)}`;
}

main(process.argv.slice(2)).then((code) => {
  process.exitCode = code;
});
