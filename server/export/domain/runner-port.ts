/** What a runner of this process offers the commands that change an export (pause, cancel, resume). */
export interface LocalRunner {
  /** Look for queued work now instead of at the next poll. */
  poke(): void;
  /** Stop performing this export, if this runner performs it; resolves once it stopped. */
  abortExport(exportId: string): Promise<unknown>;
}

/**
 * The one way export commands reach the runners of this process, without knowing them: runners
 * attach themselves, commands wake them or stop an export. Runners in other processes learn of
 * the change through the database (a paused or cancelled export's lease is gone, so its next
 * heartbeat or write fails; a queued one is found at the next poll).
 */
export class RunnerPort {
  readonly #runners = new Set<LocalRunner>();

  /** Returns the detach function. */
  attach(runner: LocalRunner): () => void {
    this.#runners.add(runner);
    return () => this.#runners.delete(runner);
  }

  /** New work was queued (requested, resumed, retried). */
  wake(): void {
    for (const runner of this.#runners) runner.poke();
  }

  /** An export was paused or cancelled: stop it here at once, and wait until it has stopped. */
  async stop(exportId: string): Promise<void> {
    await Promise.all([...this.#runners].map((runner) => runner.abortExport(exportId)));
  }
}
