/**
 * The standalone worker with nothing to do, kept alive, so the bench can read its memory floor
 * after start-up (`server/worker.ts` on its own exits when no export is queued: its poll timer
 * is unref'd). Run by bench/run.ts as `node --import tsx bench/idle-worker.ts`.
 */
setInterval(() => {}, 1 << 30);
void import('../server/worker');
