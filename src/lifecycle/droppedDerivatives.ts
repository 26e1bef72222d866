import type { BlobClient, BlobServiceClient } from '@azure/storage-blob';
import { ConcurrentWriteError } from '../domain/errors';
import { derivativePrefix, formatOfExtension, parseDerivativeBlobName } from '../domain/derivativeNames';
import { documentIdFor, unquoteETag, versionTagFor } from '../domain/ids';
import { WRITE_ATTEMPTS } from '../domain/sourceVersion';
import type { DeleteDroppedInput } from '../domain/types';
import { blobProperties } from '../storage/blobs';
import { storageCallSignal } from '../storage/callTimeout';
import type { DocumentStore } from '../storage/documentStore';
import { httpStatusOf, isNotFound } from '../storage/serviceErrors';

/**
 * Seconds a cleanup holds its claim on a derivative: Blob Storage's longest finite lease. A cleanup that dies
 * mid-way leaves no claim behind for longer; one that outlives it finds its delete refused and keeps the blob.
 */
export const CLAIM_SECONDS = 60;

export interface DroppedDerivativeDeps {
  /** The derivatives account (`getDerivativesBlobService()`). */
  derivativeBlobService: BlobServiceClient;
  processedContainer: string;
  store: DocumentStore;
  /** The labels of `IMAGE_SIZES` and `RETIRED_SIZES` of this deployment. */
  catalog: ReadonlySet<string>;
  /** Between the claim and the deletes; tests interleave a concurrent writer here. */
  afterClaim?: () => Promise<void>;
}

export interface DroppedDerivativesResult {
  deleted: string[];
  /** Derivatives of the version left alone: named by the document, still planned, or of a label not judged. */
  kept: number;
}

/**
 * A derivative as a HEAD finds it: `present`, `missing`, or `leased` (a cleanup has claimed it for deletion).
 */
export type DerivativeState = 'present' | 'missing' | 'leased';

/** How a writer sees a derivative: one HEAD (see writeImageDocumentWithGuard). */
export async function derivativeState(blob: BlobClient): Promise<DerivativeState> {
  const properties = await blobProperties(blob);
  if (properties === undefined) return 'missing';
  return properties.leaseState === 'leased' ? 'leased' : 'present';
}

/**
 * Whether a derivative of the run's version, which the document does not name, is one the run's plan no longer
 * produces: a format of a planned label that the run's outcomes do not account for, or a label that is neither
 * planned by the run nor in the deployment's catalog (a label in `RETIRED_SIZES` is in it: kept, as
 * documented). A planned label that failed as a whole (`formats` null) is not judged.
 */
export function isDropped(
  derivative: { label: string; extension: string },
  planned: DeleteDroppedInput['planned'],
  catalog: ReadonlySet<string>,
): boolean {
  const plan = planned.find((entry) => entry.label === derivative.label);
  if (plan === undefined) return !catalog.has(derivative.label);
  if (plan.formats === null) return false;
  const format = formatOfExtension(derivative.extension);
  return format !== undefined && !plan.formats.includes(format);
}

/** A lease on the blob while it is still the listed version, or undefined when it changed, went or is leased. */
async function claim(blob: BlobClient, eTag: string): Promise<string | undefined> {
  try {
    const lease = await blob
      .getBlobLeaseClient()
      .acquireLease(CLAIM_SECONDS, { conditions: { ifMatch: eTag }, abortSignal: storageCallSignal() });
    return lease.leaseId;
  } catch (error) {
    // 412: rewritten since the listing; 404: gone; 409: another cleanup holds it (that one decides).
    const status = httpStatusOf(error);
    if (status === 412 || status === 404 || status === 409) return undefined;
    throw error;
  }
}

async function release(blob: BlobClient, leaseId: string): Promise<void> {
  try {
    await blob.getBlobLeaseClient(leaseId).releaseLease({ abortSignal: storageCallSignal() });
  } catch {
    // It expires by itself within CLAIM_SECONDS; a writer meanwhile leaves the blob out of its document.
  }
}

/** Deletes under the lease; false when the lease was lost (it expired: the claim no longer holds). */
async function deleteClaimed(blob: BlobClient, leaseId: string): Promise<boolean> {
  try {
    await blob.delete({ conditions: { leaseId }, abortSignal: storageCallSignal() });
    return true;
  } catch (error) {
    if (isNotFound(error)) return false;
    if (httpStatusOf(error) === 412 || httpStatusOf(error) === 409) return false;
    throw error;
  }
}

/**
 * Deletes the derivatives of the run's own source version that no document names and that the run's plan no
 * longer produces (`isDropped`). Only while the stored document is of that version: another version's
 * document, a tombstone or no document leaves everything to `deleteUnusedDerivatives`.
 *
 * Racing a writer of the same version (another run with another plan) is made safe by the document's ETag, the
 * one thing both sides change under a condition. The cleanup: reads the document; lists the version; leases
 * each candidate (If-Match its listed eTag); rewrites the document unchanged with If-Match its ETag (the
 * claim); then deletes under the lease. The writer (writeImageDocumentWithGuard): reads the document; HEADs
 * every blob it would newly name and leaves out one that is gone or leased; writes with If-Match. If the
 * writer's write lands first, the cleanup's claim fails its condition and the round re-reads the document,
 * which now names the blob: kept. If the claim lands first, the writer's read-HEAD-write either started after
 * it (it sees the lease or the deleted blob) or fails its condition and re-reads (and sees them). So no
 * document ever names a deleted derivative, and no derivative a written document names is deleted. A lease
 * that expires before the delete makes the delete fail: the blob is kept.
 */
export async function deleteDroppedDerivatives(
  input: DeleteDroppedInput,
  deps: DroppedDerivativeDeps,
): Promise<DroppedDerivativesResult> {
  const { container, blobName, eTag } = input.source;
  const documentId = documentIdFor(container, blobName);
  const versionTag = versionTagFor(container, blobName, eTag);
  const processed = deps.derivativeBlobService.getContainerClient(deps.processedContainer);
  for (let attempt = 1; attempt <= WRITE_ATTEMPTS; attempt++) {
    const stored = await deps.store.read(documentId);
    if (stored?.kind !== 'document' || unquoteETag(stored.document.sourceETag) !== unquoteETag(eTag)) {
      return { deleted: [], kept: 0 };
    }
    const named = new Set(stored.document.variants.map((variant) => variant.blobName));
    const candidates: { blob: BlobClient; eTag: string; name: string }[] = [];
    let kept = 0;
    const listing = processed.listBlobsFlat({ prefix: `${derivativePrefix(blobName)}${versionTag}/` });
    for await (const item of listing) {
      const name = parseDerivativeBlobName(blobName, item.name);
      if (name?.versionTag !== versionTag) continue;
      if (named.has(item.name) || !isDropped(name, input.planned, deps.catalog)) {
        kept += 1;
        continue;
      }
      candidates.push({
        blob: processed.getBlobClient(item.name),
        eTag: item.properties.etag,
        name: item.name,
      });
    }
    if (candidates.length === 0) return { deleted: [], kept };

    const claimed: { blob: BlobClient; leaseId: string; name: string }[] = [];
    for (const candidate of candidates) {
      const leaseId = await claim(candidate.blob, candidate.eTag);
      if (leaseId !== undefined) claimed.push({ blob: candidate.blob, leaseId, name: candidate.name });
    }
    // The claim: the unchanged document under If-Match. A writer that named one of them since wins, and the
    // next round sees it named.
    if ((await deps.store.replace(stored.document, stored.eTag)) !== 'written') {
      await Promise.all(claimed.map(({ blob, leaseId }) => release(blob, leaseId)));
      continue;
    }
    await deps.afterClaim?.();
    const deleted: string[] = [];
    for (const { blob, leaseId, name } of claimed) {
      if (await deleteClaimed(blob, leaseId)) deleted.push(name);
      else kept += 1;
    }
    return { deleted, kept: kept + candidates.length - claimed.length };
  }
  throw new ConcurrentWriteError(`Document ${documentId}`, WRITE_ATTEMPTS);
}
