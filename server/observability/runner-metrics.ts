import { ensureRunnerMetrics, metricsRecorded, metricsState, type RunnerBeat, runnerHeartbeatAgeSeconds } from './metrics';

/** What a runner (server/runner/runner.ts) reports about itself. */
export interface RunnerTracker {
  /** The runner showed it is alive: it looked for work, or renewed the lease of the export it performs. */
  beat(): void;
  /** An export run begins; the function returned records its end, with its outcome. */
  runStarted(): (outcome: string) => void;
  /** The runner stopped: it is no longer expected to beat. */
  stopped(): void;
}

/** Most runners tracked at once (a process has one; tests make many): the oldest is forgotten beyond. */
const MAX_RUNNERS = 64;

/** What a process that records no metrics gets (see recordNoMetrics). */
const UNTRACKED: RunnerTracker = { beat() {}, runStarted: () => () => {}, stopped() {} };

/** Starts tracking a runner of this process (its first beat is now). */
export function trackRunner(owner: string): RunnerTracker {
  if (!metricsRecorded()) return UNTRACKED;
  const state = metricsState();
  ensureRunnerMetrics(state);
  const beat: RunnerBeat = { lastBeatAt: state.now(), active: 0 };
  state.runners.delete(owner);
  state.runners.set(owner, beat);
  if (state.runners.size > MAX_RUNNERS) {
    const oldest = state.runners.keys().next().value;
    if (oldest !== undefined) state.runners.delete(oldest);
  }
  return {
    beat() {
      beat.lastBeatAt = state.now();
    },
    runStarted() {
      const startedAt = performance.now();
      beat.active += 1;
      beat.lastBeatAt = state.now();
      let ended = false;
      return (outcome) => {
        if (ended) return;
        ended = true;
        beat.active -= 1;
        beat.lastBeatAt = state.now();
        state.process.exportRunDuration.observe({ outcome }, (performance.now() - startedAt) / 1000);
      };
    },
    stopped() {
      if (state.runners.get(owner) === beat) state.runners.delete(owner);
    },
  };
}

/** The runners of this process: how many, and the age of the stalest heartbeat (undefined without runners). */
export function runnerHeartbeat(): { runners: number; ageSeconds: number | undefined } {
  const state = metricsState();
  return { runners: state.runners.size, ageSeconds: runnerHeartbeatAgeSeconds(state) };
}
