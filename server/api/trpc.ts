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
import { logger } from '@/server/observability/logger';
import { recordError, withSpan } from '@/server/observability/spans';

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
    if (internal) logger.error({ err: error.cause ?? error, procedure: path }, `tRPC ${path ?? '(no path)'} failed`);
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

/**
 * Every call in a span (`trpc exports.list`), refused ones included, with its tRPC error code;
 * only an unexpected error marks it failed (a refusal or a missing export is an answer).
 */
const traced = t.middleware(({ path, type, next }) =>
  withSpan(`trpc ${path}`, () => ({ 'rpc.system': 'trpc', 'rpc.method': path, 'notion_sync.trpc.type': type }), async (span) => {
    const result = await next();
    if (!result.ok) {
      span.setAttribute('notion_sync.trpc.code', result.error.code);
      if (result.error.code === 'INTERNAL_SERVER_ERROR') recordError(span, result.error.cause ?? result.error);
    }
    return result;
  }),
);
const procedure = t.procedure.use(traced);

export const router = t.router;
/** For what anyone may call without signing in (nothing today). */
export const publicProcedure = procedure.use(domainErrors);
/** Seeing exports and their progress. */
export const viewerProcedure = procedure.use(requireRole('viewer')).use(domainErrors);
/** Starting, pausing, resuming, cancelling, retrying and deleting exports. */
export const operatorProcedure = procedure.use(requireRole('operator')).use(domainErrors);
/** People, connections and settings. */
export const adminProcedure = procedure.use(requireRole('admin')).use(domainErrors);
export const createCallerFactory = t.createCallerFactory;
