import { tracked } from '@trpc/server';
import { z } from 'zod';
import { systemStatus } from '@/server/observability/system-samples-status';
import { followSamples, type SystemSample, systemSampler } from '@/server/observability/system-samples';
import { operatorProcedure, router } from '../trpc';

/**
 * The System view: this process's metrics live, the health of each part, and the conditions
 * worth an alert. Operators and admins: the ones who act on what it shows (pause, retry, replace a
 * token); viewers follow their exports' own charts on the export pages.
 */

/** `lastEventId`: the time (ms since the epoch) of the last sample a client received; tRPC sends it again on reconnecting. */
export const OnSamplesInput = z.object({ lastEventId: z.string().regex(/^\d{1,15}$/).nullish() }).optional();

/** Each sample's time becomes its SSE event id, so a reconnecting client resumes after it. */
async function* withSampleIds(samples: AsyncIterable<SystemSample>) {
  for await (const sample of samples) yield tracked(String(sample.at), sample);
}

export const systemRouter = router({
  /** Health badges, each connection as this process knows it, and the alert-worthy conditions of the recent samples. */
  status: operatorProcedure.query(({ ctx }) => systemStatus(ctx.app, systemSampler(ctx.app))),
  /** The samples of the last 10 minutes (after `lastEventId`), then one every 2 s while the client listens. */
  onSamples: operatorProcedure.input(OnSamplesInput).subscription(({ ctx, input, signal }) =>
    withSampleIds(followSamples(systemSampler(ctx.app), Number(input?.lastEventId ?? 0), signal ?? new AbortController().signal)),
  ),
});
