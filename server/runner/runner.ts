import { randomUUID } from 'node:crypto';
import os from 'node:os';
import type { AppContext } from '@/server/app-context';
import { type RunOutcome, runExport } from '@/server/export/crawl/run-export';
import { InvalidStateError } from '@/server/export/domain/decide';
import { type ExportLease, isLeaseLost } from '@/server/export/domain/export-lease';
import { handle } from '@/server/export/domain/handle';
import { assertLease, type Claim, claimNext, leaseFence, releaseLease, renewLease } from './job-queue';

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
  readonly #detach: () => void;
  readonly #active = new Map<
    string,
    { claim: Claim; abort: AbortController; drain: AbortController; done: Promise<RunOutcome> }
  >();

  constructor(
    private readonly ctx: AppContext,
    private readonly options: RunnerOptions = {},
  ) {
    this.owner = options.owner ?? `${HOST}:${process.pid}:${randomUUID().slice(0, 8)}`;
    this.#leaseMs = options.leaseMs ?? 60_000;
    this.#heartbeatMs = options.heartbeatMs ?? Math.floor(this.#leaseMs / 3);
    this.#pollMs = options.pollMs ?? 1000;
    this.#detach = ctx.runners.attach(this);
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
    const drain = new AbortController();
    let leaseLost = false;
    const heartbeat = setInterval(() => {
      renewLease(this.ctx.database.db, claim, this.#leaseMs)
        .then((held) => {
          if (held) return;
          leaseLost = true;
          abort.abort(new Error('lease lost'));
        })
        .catch(() => undefined);
    }, this.#heartbeatMs);
    heartbeat.unref?.();
    const db = this.ctx.database.db;
    const lease: ExportLease = {
      check: async (tx) => {
        await assertLease(tx, claim);
      },
      fence: leaseFence(db, claim),
    };
    const done = runExport(this.ctx, {
      exportId: claim.exportId,
      attempt: claim.attempt,
      runner: this.owner,
      lease,
      signal: abort.signal,
      drain: drain.signal,
      concurrency: this.options.concurrency,
    });
    this.#active.set(claim.exportId, { claim, abort, drain, done });
    let outcome: RunOutcome | undefined;
    try {
      outcome = await done;
      this.options.onOutcome?.(claim.exportId, outcome);
      return outcome;
    } finally {
      clearInterval(heartbeat);
      this.#active.delete(claim.exportId);
      // Stopped by a shutdown before the end: back to the queue, so the next runner resumes it at
      // once. A runner that lost its lease (taken over, paused, cancelled) records nothing.
      if (this.#stopping && !leaseLost && (abort.signal.aborted || outcome === 'aborted')) await this.#interrupt(claim, lease);
    }
  }

  /** Records that this runner stopped the export before its end (the export-jobs projection releases the lease). */
  async #interrupt(claim: Claim, lease: ExportLease): Promise<void> {
    try {
      await handle(
        this.ctx.store,
        claim.exportId,
        { type: 'InterruptExport', data: { reason: 'the runner shut down' } },
        { runner: this.owner, attempt: claim.attempt },
        (tx) => lease.check(tx),
      );
    } catch (error) {
      // Paused, cancelled or taken over meanwhile: nothing to give back.
      if (error instanceof InvalidStateError || isLeaseLost(error)) return;
      this.options.log?.(`runner: could not record the stop of export ${claim.exportId}: ${error instanceof Error ? error.message : String(error)}`);
      // The lease at least goes back, so the next runner need not wait for it to expire.
      await releaseLease(this.ctx.database.db, claim);
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

  /**
   * Graceful shutdown: stops claiming, lets the exports in flight finish the pages they are on
   * and record them (up to `graceMs`), then stops what is left and releases the leases.
   */
  async stop(graceMs = 10_000): Promise<void> {
    this.#stopping = true;
    this.#wake?.();
    const active = [...this.#active.values()];
    for (const a of active) a.drain.abort();
    const settled = Promise.allSettled(active.map((a) => a.done));
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<'late'>((resolve) => {
      timer = setTimeout(() => resolve('late'), graceMs);
      timer.unref?.();
    });
    if ((await Promise.race([settled, late])) === 'late') {
      for (const a of active) a.abort.abort(new Error('runner stopping'));
      await settled;
    }
    clearTimeout(timer);
    await this.#loop;
    this.#detach();
  }
}
