import { randomUUID } from 'node:crypto';
import os from 'node:os';
import type { AppContext } from '@/server/context';
import { type RunOutcome, runExport } from '@/server/export/run-export';
import { type Claim, claimNext, releaseLease, renewLease } from './job-queue';

export interface RunnerOptions {
  owner?: string;
  leaseMs?: number;
  heartbeatMs?: number;
  pollMs?: number;
  /** Only run this export (the CLI). */
  exportId?: string;
  concurrency?: number;
  onOutcome?: (exportId: string, outcome: RunOutcome) => void;
  log?: (message: string) => void;
}

const HOST = os.hostname();

/** Runner ids are `host:pid:nonce`; a runner on this host whose process no longer exists is gone. */
export function ownerProcessGone(owner: string): boolean {
  const [host, pid] = owner.split(':');
  if (host !== HOST || !pid || Number(pid) === process.pid) return false;
  try {
    process.kill(Number(pid), 0);
    return false;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ESRCH';
  }
}

/**
 * Claims queued exports with a lease, runs them, renews the lease while they run, and gives
 * them back on shutdown. Runs in the Next.js server, in `npm run worker`, and in the CLI.
 */
export class Runner {
  readonly owner: string;
  readonly #leaseMs: number;
  readonly #heartbeatMs: number;
  readonly #pollMs: number;
  #stopping = false;
  #loop?: Promise<void>;
  #wake?: () => void;
  readonly #active = new Map<string, { claim: Claim; abort: AbortController; done: Promise<RunOutcome> }>();

  constructor(
    private readonly ctx: AppContext,
    private readonly options: RunnerOptions = {},
  ) {
    this.owner = options.owner ?? `${HOST}:${process.pid}:${randomUUID().slice(0, 8)}`;
    this.#leaseMs = options.leaseMs ?? 60_000;
    this.#heartbeatMs = options.heartbeatMs ?? Math.floor(this.#leaseMs / 3);
    this.#pollMs = options.pollMs ?? 1000;
  }

  start(): void {
    this.#loop ??= this.#run();
  }

  /** Claims and runs at most one export now; resolves with its outcome (undefined: none claimable). */
  async runOnce(): Promise<RunOutcome | undefined> {
    const claim = await claimNext(this.ctx.database.db, {
      owner: this.owner,
      leaseMs: this.#leaseMs,
      exportId: this.options.exportId,
      isOwnerGone: ownerProcessGone,
    });
    if (!claim) return undefined;
    return this.#perform(claim);
  }

  /** Nudges the loop to look for work now (an export was just requested). */
  poke(): void {
    this.#wake?.();
  }

  async #run(): Promise<void> {
    while (!this.#stopping) {
      try {
        const outcome = await this.runOnce();
        if (outcome !== undefined) continue;
      } catch (error) {
        this.options.log?.(`runner: ${error instanceof Error ? error.message : String(error)}`);
      }
      if (this.#stopping) break;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, this.#pollMs);
        timer.unref?.();
        this.#wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.#wake = undefined;
    }
  }

  async #perform(claim: Claim): Promise<RunOutcome> {
    const abort = new AbortController();
    const heartbeat = setInterval(() => {
      renewLease(this.ctx.database.db, claim, this.#leaseMs)
        .then((held) => {
          if (!held) abort.abort(new Error('lease lost'));
        })
        .catch(() => undefined);
    }, this.#heartbeatMs);
    heartbeat.unref?.();
    const done = runExport(this.ctx, {
      exportId: claim.exportId,
      attempt: claim.attempt,
      runner: this.owner,
      signal: abort.signal,
      concurrency: this.options.concurrency,
    });
    this.#active.set(claim.exportId, { claim, abort, done });
    try {
      const outcome = await done;
      this.options.onOutcome?.(claim.exportId, outcome);
      return outcome;
    } finally {
      clearInterval(heartbeat);
      this.#active.delete(claim.exportId);
      if (abort.signal.aborted) await releaseLease(this.ctx.database.db, claim).catch(() => false);
    }
  }

  /** Stops one export this runner performs (cancelled, paused); resolves once it has stopped. */
  abortExport(exportId: string): Promise<boolean> {
    const active = this.#active.get(exportId);
    if (!active) return Promise.resolve(false);
    active.abort.abort(new Error('export stopped'));
    return active.done.then(
      () => true,
      () => true,
    );
  }

  /** Stops claiming, stops the exports in flight at a checkpoint, and releases their leases. */
  async stop(): Promise<void> {
    this.#stopping = true;
    this.#wake?.();
    for (const { abort } of this.#active.values()) abort.abort(new Error('runner stopping'));
    await Promise.allSettled([...this.#active.values()].map((a) => a.done));
    await this.#loop;
  }
}
