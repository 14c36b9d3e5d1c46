import v8 from 'node:v8';

/**
 * V8 settings for the long-running export processes (worker, CLI), applied before the first
 * request. Node's fetch parses HTTP with a WebAssembly module; V8 first compiles it quickly
 * (Liftoff), then recompiles it optimised in the background, which briefly costs ~25 MB of
 * resident memory for no measurable gain on a path that waits on the network. Liftoff only.
 */
export function applyMemoryFlags(): void {
  v8.setFlagsFromString('--liftoff-only');
}
