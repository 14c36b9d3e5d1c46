import { QueryClient } from '@tanstack/react-query';

/** One QueryClient per browser tab (created in Providers). */
export function makeQueryClient(): QueryClient {
  return new QueryClient({
    defaultOptions: {
      queries: { staleTime: 5_000, refetchOnWindowFocus: false },
    },
  });
}
