import type { inferRouterInputs, inferRouterOutputs } from '@trpc/server';
import type { AppRouter } from '@/server/api/root';

/** Types of what procedures return as the browser sees them (Dates are ISO strings). */
export type RouterOutputs = inferRouterOutputs<AppRouter>;
export type RouterInputs = inferRouterInputs<AppRouter>;

export type ConnectionView = RouterOutputs['connections']['list'][number];
export type ExportRow = RouterOutputs['exports']['list'][number];
export type ExportDetail = RouterOutputs['exports']['get'];
export type ExportFailure = ExportDetail['failures'][number];
export type ExportFormat = RouterInputs['exports']['start']['formats'] extends (infer F)[] | undefined ? F : never;

/** What a subscription yields, as the browser receives it. */
type Yielded<T> = T extends AsyncIterable<infer Value> ? Value : never;

/** One message of `exports.onProgress` (tracked: `id` is its position, `data` the message). */
export type ExportProgressMessage = Yielded<RouterOutputs['exports']['onProgress']>['data'];
export type ActivityEntry = ExportProgressMessage['activity'][number];
