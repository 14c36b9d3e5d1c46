'use client';

import { createTRPCClient, httpBatchLink, httpSubscriptionLink, splitLink } from '@trpc/client';
import { createTRPCContext } from '@trpc/tanstack-react-query';
import type { AppRouter } from '@/server/api/root';

/**
 * Typed tRPC hooks for client components. Only the router's TYPE crosses into the browser.
 * No transformer is configured, so Dates arrive as ISO strings (and are typed as such).
 */
export const { TRPCProvider, useTRPC, useTRPCClient } = createTRPCContext<AppRouter>();

const url = '/api/trpc';

/**
 * One client per browser tab (created in Providers): subscriptions (exports.onProgress) over
 * server-sent events, which reconnect by themselves and resume after the last message received;
 * queries and mutations batched over HTTP.
 */
export function makeTrpcClient() {
  return createTRPCClient<AppRouter>({
    links: [
      splitLink({
        condition: (op) => op.type === 'subscription',
        true: httpSubscriptionLink({ url }),
        false: httpBatchLink({ url }),
      }),
    ],
  });
}
