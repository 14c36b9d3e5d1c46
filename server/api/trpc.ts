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
