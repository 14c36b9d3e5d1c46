import { eq } from 'drizzle-orm';
import { z } from 'zod';
import type { DB } from '@/db/client';
import { settings } from '@/db/schema';

/** Settings that change at run time, without a restart; the environment gives their defaults. */
export const RuntimeSettings = z.object({
  /** Notion requests per second per integration token (Notion allows about 3). */
  requestsPerSecond: z.number().positive().max(1000),
});
export type RuntimeSettings = z.infer<typeof RuntimeSettings>;

export async function readSettings(db: DB, defaults: RuntimeSettings): Promise<RuntimeSettings> {
  const [row] = await db.select().from(settings).where(eq(settings.key, 'runtime'));
  const parsed = RuntimeSettings.partial().safeParse(row?.value ?? {});
  return { ...defaults, ...(parsed.success ? parsed.data : {}) };
}

export async function writeSettings(db: DB, patch: Partial<RuntimeSettings>, defaults: RuntimeSettings): Promise<RuntimeSettings> {
  const next = RuntimeSettings.parse({ ...(await readSettings(db, defaults)), ...patch });
  await db
    .insert(settings)
    .values({ key: 'runtime', value: next })
    .onConflictDoUpdate({ target: settings.key, set: { value: next } });
  return next;
}
