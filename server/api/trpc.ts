/**
 * tRPC setup: the context every procedure receives, and the procedure builders. Domain errors
 * are mapped to tRPC errors here, once.
 */
import { initTRPC, TRPCError } from '@trpc/server';
import { ZodError, z } from 'zod';
import { type AppContext, getAppContext } from '@/server/context';
import { DomainError, type DomainErrorCode } from '@/server/errors';
import { InvalidStateError } from '@/server/export/domain/decide';

export interface TrpcContext {
  app: AppContext;
}

export async function createTrpcContext(): Promise<TrpcContext> {
  return { app: await getAppContext() };
}

const t = initTRPC.context<TrpcContext>().create({
  errorFormatter({ shape, error }) {
    return {
      ...shape,
      data: {
        ...shape.data,
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

export const router = t.router;
export const publicProcedure = t.procedure.use(domainErrors);
export const createCallerFactory = t.createCallerFactory;
