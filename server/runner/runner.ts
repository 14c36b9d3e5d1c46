import { randomUUID } from 'node:crypto';
import os from 'node:os';
import type { AppContext } from '@/server/app-context';
import { type RunOutcome, runExport } from '@/server/export/crawl/run-export';
import { InvalidStateError } from '@/server/export/domain/decide';
import { type ExportLease, isLeaseLost } from '@/server/export/domain/export-lease';
import { handle } from '@/server/export/domain/handle';
import { type RunnerTracker, trackRunner } from '@/server/observability/runner-metrics';
import { setWorkspaceBudget, setWorkspaceSharing } from '@/server/notion/workspace-limiter';
import { type Clock, systemClock, waitOrAbort } from '@/server/retry/clock';
import { readRunnerSettings, SETTINGS_CHECK_MS } from '@/server/settings';
import { assertLease, type Claim, claimNext, leaseFence, releaseLease, renewLease } from './job-queue';
import { runnerOf, workspaceSharing } from './workspace-sharing';

/**
 * How long a claim lasts without a heartbeat (renewed every third of it). A runner that dies
 * holding an export gives it up this long after its last heartbeat, so another runner resumes
 * it within about 20 s (measured by `npm run bench -- --runs recovery`: progress again 22.7 s
 * after a kill -9; with 60 s it was 60.3 s, over the 30 s recovery target).
 */
export const DEFAULT_LEASE_MS = 20_000;

export interface RunnerOptions {
  owner?: string;
  leaseMs?: number;
  heartbeatMs?: number;
  pollMs?: number;
  /** Only run this export (the CLI). */
  exportId?: string;
  concurrency?: number;
  /**
   * Exports (each of another connection) performed at once. Unset: the `runner` setting's
   * `maxExports`, never above RUNNER_MAX_EXPORTS, looked at again every few seconds.
   */
  maxExports?: number;
  onOutcome?: (exportId: string, outcome: RunOutcome) => void;
  log?: (message: string) => void;
  /**
   * What time it is for the leases, and the runner's waits: the poll, the heartbeat, the grace of
   * a graceful stop (and the export's own timers). Default: the system clock.
   */
  clock?: Clock;
}

const HOST = os.hostname();

const messageOf = (error: unknown) => (error instanceof Error ? error.message : String(error));

/**
 * A runner's owner is `<RUNNER_ID>:<nonce>`, RUNNER_ID being `host:pid` by default. Of the default
 * form, a runner on this host whose process no longer exists is gone. A named runner (RUNNER_ID,
 * which has no colon) is another machine's as far as anyone can tell: never gone early.
 */
export function ownerProcessGone(owner: string): boolean {
  const parts = owner.split(':');
  const [host, pid] = parts;
  if (parts.length !== 3 || host !== HOST || !pid || !/^\d+$/.test(pid) || Number(pid) === process.pid) return false;
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
  readonly #clock: Clock;
  readonly #isOwnerGone?: (owner: string) => boolean;
  #stopping = false;
  #loop?: Promise<void>;
  /** Ends the poll wait under way (a fresh one per wait). */
  #wake?: AbortController;
  /** Work was announced since the loop last looked: look again without waiting. */
  #poked = false;
  readonly #detach: () => void;
  /** The runner's heartbeat and runs, for the metrics and the readiness probe. */
  readonly #tracker: RunnerTracker;
  readonly #active = new Map<
    string,
    { claim: Claim; abort: AbortController; drain: AbortController; done: Promise<RunOutcome> }
  >();
  /** Every export this runner performs, until its end is recorded (or it is given back). */
  readonly #performing = new Set<Promise<unknown>>();
  /** Exports at once, as the settings said at their last look (see `#capacity`). */
  #maxExports = 1;
  #settingsLookedAt = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly ctx: AppContext,
    private readonly options: RunnerOptions = {},
  ) {
    this.owner = options.owner ?? `${ctx.config.runnerId ?? `${HOST}:${process.pid}`}:${randomUUID().slice(0, 8)}`;
    // A named runner behaves as one on a machine of its own: it cannot see other processes there.
    this.#isOwnerGone = ctx.config.runnerId === undefined ? ownerProcessGone : undefined;
    this.#leaseMs = options.leaseMs ?? DEFAULT_LEASE_MS;
    this.#heartbeatMs = options.heartbeatMs ?? Math.floor(this.#leaseMs / 3);
    this.#pollMs = options.pollMs ?? 1000;
    this.#clock = options.clock ?? systemClock;
    this.#detach = ctx.runners.attach(this);
    this.#tracker = trackRunner(this.owner);
  }

  start(): void {
    this.#loop ??= this.#run();
  }

  /** Claims and runs at most one export now; resolves with its outcome (undefined: none claimable). */
  async runOnce(): Promise<RunOutcome | undefined> {
    await this.#capacity();
    const claim = await this.#claim();
    if (!claim) return undefined;
    return this.#track(this.#perform(claim));
  }

  /** How many exports this runner is performing now. */
  get running(): number {
    return this.#performing.size;
  }

  async #claim(): Promise<Claim | undefined> {
    this.#tracker.beat();
    return claimNext(this.ctx.database.db, {
      owner: this.owner,
      leaseMs: this.#leaseMs,
      now: this.#clock.now(),
      exportId: this.options.exportId,
      isOwnerGone: this.#isOwnerGone,
    });
  }

  /** Keeps `performing` among the runner's exports until it settles, and looks for work once it has. */
  #track<T>(performing: Promise<T>): Promise<T> {
    const settled = performing.then(
      () => undefined,
      () => undefined,
    );
    this.#performing.add(settled);
    void settled.then(() => {
      this.#performing.delete(settled);
      this.poke();
    });
    return performing;
  }

  /**
   * Exports at once: the runner's own option, or the `runner` setting (capped by
   * RUNNER_MAX_EXPORTS), looked at every SETTINGS_CHECK_MS (see `#lookAtSettings`).
   */
  async #capacity(): Promise<number> {
    await this.#lookAtSettings();
    // The CLI runs the one export it asked for.
    if (this.options.exportId) return 1;
    return this.options.maxExports ?? this.#maxExports;
  }

  /**
   * Reads the `runner` setting when SETTINGS_CHECK_MS have passed since the last look, and
   * applies its workspace budget to this process's workspace limiters, each divided by the
   * runners that hold live leases on exports into that workspace (two processes exporting one
   * workspace's connections share its budget instead of each spending all of it).
   */
  async #lookAtSettings(): Promise<void> {
    const now = this.#clock.now();
    if (now - this.#settingsLookedAt < SETTINGS_CHECK_MS) return;
    this.#settingsLookedAt = now;
    const db = this.ctx.database.db;
    const settings = await readRunnerSettings(db, this.ctx.config);
    this.#maxExports = settings.maxExports;
    setWorkspaceBudget(settings.workspaceRequestsPerSecond);
    setWorkspaceSharing(await workspaceSharing(db, this.ctx.config, { self: runnerOf(this.owner), now }));
  }

  /** Nudges the loop to look for work now (an export was just requested). */
  poke(): void {
    this.#poked = true;
    this.#wake?.abort();
  }

  /**
   * Claims exports while it performs fewer than its capacity: each of another connection (the
   * claim never hands out a second export of a connection with a live lease), each with its own
   * lease, heartbeat and fence, performed side by side.
   */
  async #run(): Promise<void> {
    while (!this.#stopping) {
      this.#poked = false;
      try {
        if (this.#performing.size < (await this.#capacity())) {
          const claim = this.#stopping ? undefined : await this.#claim();
          if (claim) {
            this.#track(this.#perform(claim)).catch((error: unknown) => this.options.log?.(`runner: ${messageOf(error)}`));
            continue;
          }
        } else {
          this.#tracker.beat();
        }
      } catch (error) {
        this.options.log?.(`runner: ${messageOf(error)}`);
      }
      if (this.#stopping || this.#poked) continue;
      // Nothing to do (or no room): look again after the poll interval, as soon as work is
      // announced, or as soon as one of its exports ends.
      const wake = new AbortController();
      this.#wake = wake;
      await waitOrAbort(this.#clock, this.#pollMs, wake.signal);
      this.#wake = undefined;
    }
  }

  async #perform(claim: Claim): Promise<RunOutcome> {
    // Pages in flight: the runner's own option (tests, the CLI), or (unset) the setting, followed by the run.
    const concurrency = this.options.concurrency;
    const abort = new AbortController();
    const drain = new AbortController();
    const ended = new AbortController();
    let leaseLost = false;
    const heartbeat = this.#heartbeat(claim, ended.signal, () => {
      leaseLost = true;
      abort.abort(new Error('lease lost'));
    });
    const db = this.ctx.database.db;
    const now = () => this.#clock.now();
    const lease: ExportLease = {
      check: async (tx) => {
        await assertLease(tx, claim, now());
      },
      fence: leaseFence(db, claim, { now }),
    };
    const done = runExport(this.ctx, {
      exportId: claim.exportId,
      attempt: claim.attempt,
      runner: this.owner,
      lease,
      signal: abort.signal,
      drain: drain.signal,
      concurrency,
      clock: this.#clock,
    });
    this.#active.set(claim.exportId, { claim, abort, drain, done });
    const runEnded = this.#tracker.runStarted();
    let outcome: RunOutcome | undefined;
    try {
      outcome = await done;
      this.options.onOutcome?.(claim.exportId, outcome);
      return outcome;
    } finally {
      runEnded(outcome ?? 'error');
      ended.abort();
      await heartbeat;
      this.#active.delete(claim.exportId);
      // Stopped by a shutdown before the end: back to the queue, so the next runner resumes it at
      // once. A runner that lost its lease (taken over, paused, cancelled) records nothing.
      if (this.#stopping && !leaseLost && (abort.signal.aborted || outcome === 'aborted')) await this.#interrupt(claim, lease);
    }
  }

  /**
   * Renews the lease every heartbeat until `ended` aborts; calls `lost` (once) when the lease
   * turns out to be gone: taken over after it expired, or ended by a pause or a cancel.
   */
  async #heartbeat(claim: Claim, ended: AbortSignal, lost: () => void): Promise<void> {
    while (await waitOrAbort(this.#clock, this.#heartbeatMs, ended)) {
      let held: boolean;
      try {
        held = await renewLease(this.ctx.database.db, claim, this.#leaseMs, this.#clock.now());
      } catch (error) {
        // The database did not answer this time (busy, for one): the next beat tries again, well
        // before the lease runs out; if it does run out, the lease check of every append and file
        // stops the export.
        this.options.log?.(`runner: could not renew the lease on export ${claim.exportId}: ${messageOf(error)}`);
        continue;
      }
      if (held) this.#tracker.beat();
      // A runner that is not looking for work (the CLI's) still follows the workspace shares.
      if (held) await this.#lookAtSettings().catch((error: unknown) => this.options.log?.(`runner: ${messageOf(error)}`));
      if (held || ended.aborted) continue;
      lost();
      return;
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
      this.options.log?.(`runner: could not record the stop of export ${claim.exportId}: ${messageOf(error)}`);
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
    this.#wake?.abort();
    // No claim after this: one under way when the stop came is among the exports drained below.
    await this.#loop;
    const active = [...this.#active.values()];
    for (const a of active) a.drain.abort();
    const settled = new AbortController();
    const allDone = Promise.allSettled(active.map((a) => a.done)).then(() => settled.abort());
    if (await waitOrAbort(this.#clock, graceMs, settled.signal)) {
      for (const a of active) a.abort.abort(new Error('runner stopping'));
    }
    await allDone;
    // Every export given back (its interruption recorded) before the runner reports it stopped.
    await Promise.all([...this.#performing]);
    this.#detach();
    this.#tracker.stopped();
  }
}
