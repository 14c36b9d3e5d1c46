import fs from 'node:fs/promises';
import path from 'node:path';
import { sql } from 'drizzle-orm';
import type { AppContext } from '@/server/app-context';

export interface HealthReport {
  ok: boolean;
  checks: { database: { ok: boolean; error?: string }; exportsDir: { ok: boolean; path: string; error?: string } };
}

/** Checks that the database answers and the exports folder is writable. */
export async function checkHealth(ctx: AppContext): Promise<HealthReport> {
  const database = await ctx.database.db
    .get(sql`select 1 as ok`)
    .then(() => ({ ok: true }))
    .catch((e: Error) => ({ ok: false, error: e.message }));
  const dir = ctx.config.exportsDir;
  const exportsDir = await (async () => {
    try {
      await fs.mkdir(dir, { recursive: true });
      const probe = path.join(dir, `.health-${process.pid}`);
      await fs.writeFile(probe, 'ok');
      await fs.rm(probe);
      return { ok: true, path: dir };
    } catch (e) {
      return { ok: false, path: dir, error: (e as Error).message };
    }
  })();
  return { ok: database.ok && exportsDir.ok, checks: { database, exportsDir } };
}
