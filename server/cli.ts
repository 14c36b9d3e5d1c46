// First: V8 settings that must be in place before the rest of the program loads.
import './memory-flags';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { eq } from 'drizzle-orm';
import { exports } from '@/db/schema';
import { ConfigError, loadConfig } from './config';
import { ensureConnection } from './connections/connections';
import { createAppContext } from './context';
import { DomainError } from './errors';
import { EXPORT_FORMATS, ExportFormat, exportStreamId } from '@/server/export/domain/export';
import { cancelExport, pauseExport, resumeExport, retryFailedPages } from '@/server/export/control/export-control';
import { type ExportDetail, type ExportView, getExport, listExports } from '@/server/export/control/export-queries';
import {
  canResume,
  countsOf,
  describeCounts,
  describeDuration,
  describeQueueWait,
  describeRetried,
  exportStatusLabel,
  isDownloadable,
  runningTimeMs,
} from '@/server/export/domain/export-status';
import { verifyManifest } from '@/server/export/files/manifest';
import { findUnfinishedExport, requestExport } from '@/server/export/control/request-export';
import { Runner } from './runner/runner';

const USAGE = `Usage: npm run notion-sync -- export --out <dir> [--format ${EXPORT_FORMATS.join(',')}] [--naming notion|clean] [--download-external]

Exports everything the integration token can see into <dir>.
  --out <dir>           folder that receives the export tree (report.json and manifest.json included)
  --format <list>       comma-separated formats: ${EXPORT_FORMATS.join(', ')} (default: all)
  --naming <mode>       notion: "Title <id>.md" like Notion's own export (default); clean: "Title.md"
  --download-external   also download files that pages only link to (Notion-hosted files always are)

Environment:
  NOTION_TOKEN       the integration token (required)
  NOTION_BASE_URL    the Notion API base URL (default: the real Notion API)
  DATABASE_URL       state database (default: file:./data/notion-sync.db)

Running the same command again after an interruption resumes the unfinished export.
Exit codes: 0 completed, 1 failed or bad usage, 2 completed with pages that could not be exported.

       npm run notion-sync -- verify <export dir>

Recomputes the checksum of every file listed in the export's manifest.json and names any
missing, changed or extra file. Exit codes: 0 intact, 3 differences found, 1 no manifest.

       npm run notion-sync -- exports | pause <id> | resume <id> | cancel <id> | retry <id> [page id…]

Lists exports; pauses, resumes or cancels one (cancel removes the files it wrote); retries the
pages an export could not read (all, or the ones named).`;

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

async function exportCommand(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      out: { type: 'string' },
      format: { type: 'string' },
      naming: { type: 'string' },
      'download-external': { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  });
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  if (!values.out) throw new UsageError('Missing --out <dir>');
  const formats = parseFormats(values.format);
  if (values.naming !== undefined && values.naming !== 'notion' && values.naming !== 'clean') {
    throw new UsageError(`Unknown naming "${values.naming}". Choose notion or clean`);
  }
  const options = { naming: (values.naming ?? 'notion') as 'notion' | 'clean', downloadExternal: !!values['download-external'] };
  const config = loadConfig();
  const token = process.env.NOTION_TOKEN?.trim();
  if (!token) throw new UsageError('Set NOTION_TOKEN to the Notion integration token');
  const outDir = path.resolve(values.out);

  const ctx = await createAppContext({ ...config, runnerEnabled: false });
  try {
    const connection = await ensureConnection(ctx, { token, baseUrl: config.notionBaseUrl, name: 'CLI' });
    let exportId = await findUnfinishedExport(ctx, outDir);
    if (exportId) {
      log(`Resuming export ${exportId} into ${outDir}`);
      if (canResume((await getExport(ctx.database.db, exportId)).status)) await resumeExport(ctx, exportId, 'the CLI');
    } else {
      exportId = await requestExport(ctx, { connectionId: connection.id, formats, outDir, requestedBy: 'cli', options });
      log(`Export ${exportId} of "${connection.workspaceName ?? connection.name}" into ${outDir}`);
    }
    const progress = new ProgressPrinter();
    const streamId = exportStreamId(exportId);
    const unsubscribe = ctx.feed.subscribe((events) => {
      if (events.some((e) => e.streamId === streamId)) void printProgress(ctx.database.db, exportId!, progress);
    });

    const runner = new Runner(ctx, { exportId, pollMs: 250, leaseMs: ctx.config.leaseMs });
    let stopping = false;
    const stop = () => {
      stopping = true;
      log('\nStopping; run the same command again to resume.');
      void runner.stop();
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
    let outcome = await runner.runOnce();
    // Until the export ends: another runner may hold it (or its lease has not expired yet), or a
    // retryable failure queued it again for later; wait and look again.
    while ((outcome === undefined || outcome === 'retrying') && !stopping) {
      if (outcome === 'retrying') {
        progress.done();
        const { wait } = await getExport(ctx.database.db, exportId);
        if (wait) log(`${describeQueueWait(wait)}.`);
      }
      await new Promise((r) => setTimeout(r, 1000));
      outcome = await runner.runOnce();
    }
    unsubscribe();
    progress.done();
    return summarize(await getExport(ctx.database.db, exportId));
  } finally {
    ctx.database.close();
  }
}

/** The end of an export in words (the same counts and running time as the dashboard); returns the exit code. */
function summarize(row: ExportDetail): number {
  const done = `${describeCounts(countsOf(row))}; ${row.requests} API requests; running time ${describeDuration(runningTimeMs(row, new Date()))}.`;
  if (row.retriedPages) log(`${describeRetried(row.retriedPages)}.`);
  switch (row.status) {
    case 'completed':
      log(`Completed: ${done}`);
      return 0;
    case 'completed_with_errors':
      log(`Completed with errors: ${done}\nCould not be exported:`);
      for (const item of row.failures) log(`  - ${item.title || item.id}: ${item.error}`);
      return 2;
    case 'failed':
      log(`Export failed: ${row.lastError}\nRun the same command again to resume it.`);
      return 1;
    case 'paused':
      log(`Export paused: ${row.statusReason}\nRun the same command again to resume it.`);
      return 1;
    default:
      log(`Export ${exportStatusLabel(row.status).toLowerCase()}${row.wait ? ` (${describeQueueWait(row.wait)})` : ''}; run the same command again to resume.`);
      return 1;
  }
}

function log(message: string): void {
  process.stderr.write(`${message}\n`);
}

class ProgressPrinter {
  #last = '';
  readonly #tty = process.stderr.isTTY;
  print(line: string): void {
    if (line === this.#last) return;
    this.#last = line;
    process.stderr.write(this.#tty ? `\r\x1b[2K${line}` : `${line}\n`);
  }
  done(): void {
    if (this.#tty && this.#last) process.stderr.write('\n');
  }
}

async function printProgress(db: Awaited<ReturnType<typeof createAppContext>>['database']['db'], id: string, p: ProgressPrinter) {
  const [row] = await db.select().from(exports).where(eq(exports.id, id));
  if (!row) return;
  const pct = row.pagesDiscovered > 0 ? Math.floor((100 * (row.pagesDone + row.pagesFailed)) / row.pagesDiscovered) : 0;
  p.print(
    `[${row.phase}] ${row.pagesDone + row.pagesFailed}/${row.pagesDiscovered} (${pct}%) · ${describeDuration(runningTimeMs(row, new Date()))} · ${row.requests} requests · ${row.rateLimited} rate-limit waits${row.pacedRate !== null ? ` · paced at ${row.pacedRate}/s (Notion's 429s)` : ''}${row.pagesFailed ? ` · ${row.pagesFailed} failed` : ''}`,
  );
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
  if (positionals.length !== 1) throw new UsageError('verify needs exactly one export folder');
  const root = path.resolve(positionals[0]!);
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
  try {
    if (command === 'export') return await exportCommand(rest);
    if (command === 'verify') return await verifyCommand(rest);
    if (command && ['exports', 'pause', 'resume', 'cancel', 'retry'].includes(command)) return await controlCommand(command, rest);
    if (!command || command === '--help' || command === '-h' || command === 'help') {
      process.stdout.write(`${USAGE}\n`);
      return command ? 0 : 1;
    }
    throw new UsageError(`Unknown command "${command}"`);
  } catch (error) {
    if (error instanceof UsageError) log(`${error.message}\n\n${USAGE}`);
    else if (error instanceof ConfigError || error instanceof DomainError) log(error.message);
    else if (error instanceof Error && error.name === 'TypeError' && /parseArgs|Unknown option/.test(error.message)) log(error.message);
    else log(`Error: ${error instanceof Error ? error.message : String(error)}`);
    return 1;
  }
}

main(process.argv.slice(2)).then((code) => {
  process.exitCode = code;
});
