import type { BlobServiceClient } from '@azure/storage-blob';
import { storageCallSignal } from './callTimeout';
import { isConflict, isNotFound } from './serviceErrors';

/**
 * A mutual-exclusion section across every instance of the app, on a blob lease: Azure grants one lease per
 * blob at a time (Lease Blob, `acquire`: 409 `LeaseAlreadyPresent` while another holds it), so whoever holds
 * it runs `section` alone. The lock blob is empty and created on first use (and again if a lifecycle rule
 * removed it); the lease is released when `section` ends, or expires after `LEASE_SECONDS` if the holder dies.
 * Source: https://learn.microsoft.com/rest/api/storageservices/lease-blob (15-60 s or infinite).
 */
export const LEASE_SECONDS = 15;

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
 * Runs `section` while holding the lease on `{container}/{blobName}`. `section` should end well within
 * `LEASE_SECONDS` (a few status reads and a start). Throws `LockBusyError` when the lease stays taken for
 * `waitMs`; storage failures propagate.
 */
export async function withBlobLease<T>(
  service: BlobServiceClient,
  container: string,
  blobName: string,
  section: () => Promise<T>,
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
  try {
    return await section();
  } finally {
    // An expired or broken lease is harmless here: the section is over.
    await lease.releaseLease({ abortSignal: storageCallSignal() }).catch(() => undefined);
  }
}
