import fs from 'node:fs/promises';
import path from 'node:path';
import { sql } from 'drizzle-orm';
import type { AppContext } from '@/server/app-context';

/** A check's outcome; `error` is a short reason with a code, never a path, a URL or a message from below. */
export interface HealthCheck {
  ok: boolean;
  error?: string;
}

/** What `/api/health` answers to anyone: nothing about this machine (no paths, no database URL). */
export interface HealthReport {
  ok: boolean;
  checks: { database: HealthCheck; exportsDir: HealthCheck };
}

const codeOf = (error: unknown): string | undefined => {
  const code = (error as { code?: unknown } | undefined)?.code;
  return typeof code === 'string' && /^[A-Z0-9_]+$/.test(code) ? code : undefined;
};

/** A failed check: its reason and code for the answer, everything else for the server's log. */
function failed(check: string, reason: string, error: unknown, log: (line: string, error: unknown) => void): HealthCheck {
  log(`health: ${check} ${reason}:`, error);
  const code = codeOf(error);
  return { ok: false, error: code ? `${reason} (${code})` : reason };
}

/**
 * Checks that the database answers and the exports folder is writable. The details of a failure
 * (which path, which message) go to `log`, the server's console by default.
 */
export async function checkHealth(
  ctx: AppContext,
  log: (line: string, error: unknown) => void = (line, error) => console.error(line, error),
): Promise<HealthReport> {
  const database = await ctx.database.db
    .get(sql`select 1 as ok`)
    .then((): HealthCheck => ({ ok: true }))
    .catch((e: unknown) => failed('database', 'does not answer', e, log));
  const dir = ctx.config.exportsDir;
  const exportsDir = await (async (): Promise<HealthCheck> => {
    try {
      await fs.mkdir(dir, { recursive: true });
      const probe = path.join(dir, `.health-${process.pid}`);
      await fs.writeFile(probe, 'ok');
      await fs.rm(probe);
      return { ok: true };
    } catch (e) {
      return failed('exports folder', 'is not writable', e, log);
    }
  })();
  return { ok: database.ok && exportsDir.ok, checks: { database, exportsDir } };
}
