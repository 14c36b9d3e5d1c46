import v8 from 'node:v8';

/**
 * V8 settings for the long-running export processes (worker, CLI), applied at start-up before
 * any request, trading CPU the export has plenty of for resident memory (measured by `npm run
 * bench`: the 10,000-page export peaks ~15 MB lower and runs ~25 % slower unthrottled, still
 * 30× faster than Notion's 3 requests/s allow):
 * - Liftoff only: Node's fetch parses HTTP with a WebAssembly module, which V8 would recompile
 *   optimised in the background for a brief ~25 MB;
 * - no optimising JIT: the optimised code and the compiler's own memory cost more than the time
 *   they save on a path that waits on the network;
 * - optimise for size: smaller heap growth steps.
 * Set here rather than on the command line: a flag a later V8 does not know is then reported
 * and ignored instead of stopping Node. Applied on import: import this module first, before
 * the rest of the program is loaded.
 */
export const MEMORY_FLAGS = ['--liftoff-only', '--no-opt', '--optimize-for-size'] as const;

for (const flag of MEMORY_FLAGS) v8.setFlagsFromString(flag);
