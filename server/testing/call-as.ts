import { createCaller } from '@/server/api/root';
import type { AppContext } from '@/server/app-context';
import type { Role } from '@/server/auth/roles';
import type { Viewer } from '@/server/auth/viewer';

/** The person a test calls the routers as (no row in the database unless the test makes one). */
export const testViewer = (role: Role): Viewer => ({ id: `test-${role}`, email: `${role}@example.test`, name: `Test ${role}`, role });

/** A caller of the routers as a signed-in `role`, as createTrpcContext would make it from a session. */
export function callerAs(app: AppContext, role: Role, options?: Parameters<typeof createCaller>[1]) {
  return createCaller({ app, viewer: testViewer(role) }, options);
}

/** A caller with no session. */
export const anonymousCaller = (app: AppContext) => createCaller({ app });
