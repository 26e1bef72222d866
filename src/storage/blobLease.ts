import type { BlobServiceClient } from '@azure/storage-blob';
import { storageCallSignal } from './callTimeout';
import { isConflict, isNotFound } from './serviceErrors';

/**
 * A mutual-exclusion section across every instance of the app, on a blob lease: Azure grants one lease per
 * blob at a time (Lease Blob, `acquire`: 409 `LeaseAlreadyPresent` while another holds it), so whoever holds
 * it runs `section` alone. The lock blob is empty and created on first use (and again if a lifecycle rule
 * removed it); the lease is released when `section` ends, or expires after `LEASE_SECONDS` if the holder dies.
 * While `section` runs the lease is renewed every `LEASE_SECONDS / 3` (Lease Blob `renew`), so a section slower
 * than one lease period (a throttled status query, a slow start) keeps it; a finite lease, not an infinite one,
 * so a holder that dies frees it within 15 s.
 * Source: https://learn.microsoft.com/rest/api/storageservices/lease-blob (15-60 s or infinite).
 */
export const LEASE_SECONDS = 15;

/** Margin (ms) under the lease period within which `held()` still trusts the last acquire or renewal. */
const HELD_MARGIN_MS = 2_000;

/**
 * The lease was lost while the section ran: a renewal failed (broken by someone, or expired while this process
 * stalled), or no renewal confirmed it within the lease period. The section must not commit.
 */
export class LeaseLostError extends Error {
  constructor(
    readonly lockName: string,
    options?: ErrorOptions,
  ) {
    super(`The lock ${lockName} was lost while its section ran`, options);
    this.name = 'LeaseLostError';
  }
}

/** Throws `LeaseLostError` unless the lease is still this section's: call it right before the step that commits. */
export type LeaseHeld = () => void;

export class LockBusyError extends Error {
  constructor(
    readonly lockName: string,
    readonly waitedMs: number,
  ) {
    super(`The lock ${lockName} stayed taken for ${waitedMs} ms`);
    this.name = 'LockBusyError';
  }
}

export interface LeaseOptions {
  /** How long to keep trying to acquire before `LockBusyError` (ms). */
  waitMs?: number;
  /** Pause between two attempts (ms). */
  retryMs?: number;
  /** Renewal period while the section runs (ms); default `LEASE_SECONDS / 3`. */
  renewEveryMs?: number;
}

async function ensureLockBlob(
  service: BlobServiceClient,
  container: string,
  blobName: string,
): Promise<void> {
  const blob = service.getContainerClient(container).getBlockBlobClient(blobName);
  const create = () =>
    blob.upload('', 0, { conditions: { ifNoneMatch: '*' }, abortSignal: storageCallSignal() });
  try {
    await create();
  } catch (error) {
    if (isConflict(error)) return; // exists (or leased by someone): fine either way
    if (!isNotFound(error)) throw error;
    await service.getContainerClient(container).createIfNotExists({ abortSignal: storageCallSignal() });
    try {
      await create();
    } catch (again) {
      if (!isConflict(again)) throw again;
    }
  }
}

/**
 * Runs `section` while holding the lease on `{container}/{blobName}`, renewed every `renewEveryMs` until the
 * section ends. `section` gets `held`, which it calls right before the step that must happen under the lock
 * (e.g. a start): it throws `LeaseLostError` when a renewal failed or none confirmed the lease within
 * `LEASE_SECONDS` (minus 2 s). Throws `LockBusyError` when the lease stays taken for `waitMs`; storage failures
 * propagate.
 */
export async function withBlobLease<T>(
  service: BlobServiceClient,
  container: string,
  blobName: string,
  section: (held: LeaseHeld) => Promise<T>,
  options: LeaseOptions = {},
): Promise<T> {
  const waitMs = options.waitMs ?? 20_000;
  const retryMs = options.retryMs ?? 100;
  const lease = service.getContainerClient(container).getBlobClient(blobName).getBlobLeaseClient();
  const startedAt = Date.now();
  for (;;) {
    try {
      await lease.acquireLease(LEASE_SECONDS, { abortSignal: storageCallSignal() });
      break;
    } catch (error) {
      if (isNotFound(error)) {
        await ensureLockBlob(service, container, blobName);
        continue;
      }
      if (!isConflict(error)) throw error;
      const waited = Date.now() - startedAt;
      if (waited >= waitMs) throw new LockBusyError(`${container}/${blobName}`, waited);
      // Jitter, so waiting callers do not retry in lockstep.
      await new Promise((resolve) => setTimeout(resolve, retryMs / 2 + Math.random() * retryMs));
    }
  }
  const lockName = `${container}/${blobName}`;
  // Confirmed until: when the last acquire or renewal was SENT, plus the lease period (the service counts from
  // when it received the request, never earlier).
  let confirmedAt = Date.now();
  let lost: unknown;
  let renewing: Promise<void> = Promise.resolve();
  const timer = setInterval(
    () => {
      const sentAt = Date.now();
      renewing = lease.renewLease({ abortSignal: storageCallSignal() }).then(
        () => {
          confirmedAt = Math.max(confirmedAt, sentAt);
        },
        (error: unknown) => {
          lost ??= error;
        },
      );
    },
    options.renewEveryMs ?? (LEASE_SECONDS * 1000) / 3,
  );
  timer.unref();
  const held: LeaseHeld = () => {
    if (lost !== undefined) throw new LeaseLostError(lockName, { cause: lost });
    if (Date.now() - confirmedAt >= LEASE_SECONDS * 1000 - HELD_MARGIN_MS) throw new LeaseLostError(lockName);
  };
  try {
    return await section(held);
  } finally {
    clearInterval(timer);
    await renewing;
    // An expired or broken lease is harmless here: the section is over.
    await lease.releaseLease({ abortSignal: storageCallSignal() }).catch(() => undefined);
  }
}
