import { and, eq, gte } from 'drizzle-orm';
import type { DB } from '@/db/client';
import { connections, exportJobs } from '@/db/schema';
import { workspaceKeyOf } from '@/server/connections/connections';

/**
 * The runner a lease owner belongs to: `<RUNNER_ID or host:pid>:<nonce>` less its nonce, so that
 * the runners one process may make (each with a nonce of its own) count as one: a process has one
 * workspace limiter per workspace, whichever of its runners uses it.
 */
export function runnerOf(owner: string): string {
  const at = owner.lastIndexOf(':');
  return at > 0 ? owner.slice(0, at) : owner;
}

/**
 * For each workspace into which runners other than `self` hold live leases on exports: how many
 * runners share its budget, `self` included (it is about to use it, or does). Workspaces only
 * `self` uses are left out (it has the whole budget). Read from the jobs table, which every
 * process shares.
 */
export async function workspaceSharing(
  db: DB,
  config: { notionBaseUrl?: string },
  options: { self: string; now: number },
): Promise<Map<string, number>> {
  const rows = await db
    .selectDistinct({
      owner: exportJobs.leaseOwner,
      baseUrl: connections.baseUrl,
      workspaceId: connections.workspaceId,
      workspaceName: connections.workspaceName,
    })
    .from(exportJobs)
    .innerJoin(connections, eq(connections.id, exportJobs.connectionId))
    .where(and(eq(exportJobs.status, 'running'), gte(exportJobs.leaseExpiresAt, options.now)));
  const others = new Map<string, Set<string>>();
  for (const row of rows) {
    if (!row.owner) continue;
    const runner = runnerOf(row.owner);
    const key = workspaceKeyOf(config, row);
    if (runner === options.self || !key) continue;
    let runners = others.get(key);
    if (!runners) {
      runners = new Set();
      others.set(key, runners);
    }
    runners.add(runner);
  }
  return new Map([...others].map(([key, runners]) => [key, runners.size + 1]));
}
