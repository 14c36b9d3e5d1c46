'use client';

import { createTRPCContext } from '@trpc/tanstack-react-query';
import type { AppRouter } from '@/server/api/root';

/**
 * Typed tRPC hooks for client components. Only the router's TYPE crosses into the browser.
 * No transformer is configured, so Dates arrive as ISO strings (and are typed as such).
 */
export const { TRPCProvider, useTRPC, useTRPCClient } = createTRPCContext<AppRouter>();
