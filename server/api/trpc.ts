/**
 * tRPC setup: the context every procedure receives, and the procedure builders. Domain errors
 * are mapped to tRPC errors here, once.
 */
import { initTRPC, TRPCError } from '@trpc/server';
import { ZodError, z } from 'zod';
import { type Role, roleAllows } from '@/server/auth/roles';
import { type Viewer, viewerOf } from '@/server/auth/viewer';
import { type AppContext, getAppContext } from '@/server/context';
import { DomainError, type DomainErrorCode } from '@/server/errors';
import { InvalidStateError } from '@/server/export/domain/decide';
import { authOf } from '@/server/auth/auth';
import { clientAddressOf } from '@/server/security/client-address';

export interface TrpcContext {
  app: AppContext;
  /** The signed-in person (from the session cookie), or undefined. */
  viewer?: Viewer;
  /** The client's address, for the audit log (server/security/client-address.ts). */
  address?: string;
}

/** Per request: the process's context and who is asking (`auth.api.getSession` on the request's headers). */
export async function createTrpcContext(opts?: { req: Request }): Promise<TrpcContext> {
  const app = await getAppContext();
  return {
    app,
    viewer: opts ? await viewerOf(authOf(app), opts.req.headers) : undefined,
    address: opts ? clientAddressOf(opts.req.headers) : undefined,
  };
}

/** Stack traces and the messages of unexpected errors reach the browser under `next dev` only. */
const SHOW_INTERNALS = process.env.NODE_ENV === 'development';

const t = initTRPC.context<TrpcContext>().create({
  errorFormatter({ shape, error, path }) {
    const { stack, ...data } = shape.data;
    const internal = shape.data.code === 'INTERNAL_SERVER_ERROR';
    // Never the input: it may hold an integration token.
    if (internal) console.error(`tRPC ${path ?? '(no path)'} failed:`, error.cause ?? error);
    return {
      ...shape,
      message: internal && !SHOW_INTERNALS ? 'Something went wrong on the server; its log says what.' : shape.message,
      data: {
        ...data,
        ...(SHOW_INTERNALS && stack !== undefined ? { stack } : {}),
        zodError: error.cause instanceof ZodError ? z.flattenError(error.cause) : null,
      },
    };
  },
  /**
   * Subscriptions (exports.onProgress) over server-sent events. A ping every 10 s keeps proxies
   * from closing a quiet stream, and a client that hears nothing for 30 s reconnects. A stream
   * ends after 15 minutes so no request lives forever; the client reconnects at once and, with
   * the id of the last message it received, resumes after it.
   */
  sse: {
    ping: { enabled: true, intervalMs: 10_000 },
    maxDurationMs: 15 * 60_000,
    client: { reconnectAfterInactivityMs: 30_000 },
  },
});

const CODES: Record<DomainErrorCode, TRPCError['code']> = {
  NOT_FOUND: 'NOT_FOUND',
  CONFLICT: 'CONFLICT',
  INVALID_STATE: 'PRECONDITION_FAILED',
  UPSTREAM: 'BAD_REQUEST',
  BAD_INPUT: 'BAD_REQUEST',
};

const domainErrors = t.middleware(async ({ next }) => {
  const result = await next();
  if (!result.ok) {
    const cause = result.error.cause;
    if (cause instanceof DomainError) {
      throw new TRPCError({ code: CODES[cause.code], message: cause.message, cause });
    }
    if (cause instanceof InvalidStateError) {
      throw new TRPCError({ code: 'PRECONDITION_FAILED', message: cause.message, cause });
    }
  }
  return result;
});

/**
 * Who may call: no session → UNAUTHORIZED (401), a role below `needed` → FORBIDDEN (403). It runs
 * before the input is parsed and before the procedure, so a refused call reads and changes nothing.
 */
const requireRole = (needed: Role) =>
  t.middleware(({ ctx, next }) => {
    const viewer = ctx.viewer;
    if (!viewer) throw new TRPCError({ code: 'UNAUTHORIZED', message: 'Sign in first' });
    if (!roleAllows(viewer.role, needed)) throw new TRPCError({ code: 'FORBIDDEN', message: `This needs the ${needed} role` });
    return next({ ctx: { ...ctx, viewer } });
  });

export const router = t.router;
/** For what anyone may call without signing in (nothing today). */
export const publicProcedure = t.procedure.use(domainErrors);
/** Seeing exports and their progress. */
export const viewerProcedure = t.procedure.use(requireRole('viewer')).use(domainErrors);
/** Starting, pausing, resuming, cancelling, retrying and deleting exports. */
export const operatorProcedure = t.procedure.use(requireRole('operator')).use(domainErrors);
/** People, connections and settings. */
export const adminProcedure = t.procedure.use(requireRole('admin')).use(domainErrors);
export const createCallerFactory = t.createCallerFactory;
