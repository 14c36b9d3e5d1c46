import type { Tx } from '@/db/client';

/** A runner whose lease was taken over, expired, or ended by a pause or cancel: it must stop. */
export class LeaseLostError extends Error {
  constructor(exportId: string) {
    super(`The lease on export ${exportId} was lost; another runner or a person took it over`);
    this.name = 'LeaseLostError';
  }
}

export function isLeaseLost(error: unknown): boolean {
  for (let e: unknown = error; e instanceof Error; e = e.cause) if (e instanceof LeaseLostError) return true;
  return false;
}

/**
 * The runner's hold on the export it performs (fencing): every append and every file that
 * becomes visible is checked against it, so a runner that lost its lease changes nothing.
 */
export interface ExportLease {
  /** Inside an append's transaction: throws LeaseLostError unless the lease is still held. */
  check(tx: Tx): Promise<void>;
  /** Right before a file is renamed into place: throws LeaseLostError once the lease is lost. */
  fence(): Promise<void>;
}
