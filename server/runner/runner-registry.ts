import type { Runner } from './runner';

const g = globalThis as typeof globalThis & { __notionSyncRunner?: Runner };

/** The runner of this process, if it has one (instrumentation starts it in the server). */
export function setProcessRunner(runner: Runner | undefined): void {
  g.__notionSyncRunner = runner;
}

export function getProcessRunner(): Runner | undefined {
  return g.__notionSyncRunner;
}

/** Lets the local runner pick up a new export now instead of at its next poll. */
export function pokeRunner(): void {
  g.__notionSyncRunner?.poke();
}

/** Stops a cancelled or paused export at once if this process performs it; resolves when it stopped. */
export async function abortLocalExport(exportId: string): Promise<void> {
  await g.__notionSyncRunner?.abortExport(exportId);
}
