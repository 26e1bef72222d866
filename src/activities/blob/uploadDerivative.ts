import type { BlobServiceClient, BlockBlobClient } from '@azure/storage-blob';
import { unquoteETag } from '../../domain/ids';
import { derivativeBlobName } from '../../domain/naming';
import type { SourceRef, Variant } from '../../domain/types';
import type { EncodedDerivative } from '../../imaging/types';
import { decideDerivativeWrite, type ExistingDerivative } from './derivativeOrder';
import { isConflict, isNotFound, isPreconditionFailed } from './restErrors';
import { currentSourceETag } from './sourceETag';
import { storageCallSignal } from './storageTimeout';

/**
 * Derivative names are stable per source PATH (DESIGN.md: `{dir/}{stem}_{label}.{ext}`), and a re-upload of
 * the same path overwrites them in place. `immutable` with a year would pin a stale picture in browsers and
 * CDNs for that year, so derivatives get a day: long enough to offload repeat views, short enough that a
 * replaced photo shows up, and each carries its ETag so a revalidation is a cheap 304.
 */
export const DERIVATIVE_CACHE_CONTROL = 'public, max-age=86400';

/** Read-decide-write rounds before giving up; then the activity throws and Durable retries it. */
export const DEFAULT_UPLOAD_ATTEMPTS = 5;

export type UploadResult =
  { uploaded: true; variant: Variant } | { uploaded: false; reason: 'superseded'; message: string };

export class DerivativeWriteConflictError extends Error {
  constructor(blobName: string, attempts: number) {
    super(`Derivative ${blobName} kept changing under us: gave up after ${attempts} conditional uploads`);
    this.name = 'DerivativeWriteConflictError';
  }
}

async function readExisting(blob: BlockBlobClient): Promise<ExistingDerivative | undefined> {
  try {
    const properties = await blob.getProperties({ abortSignal: storageCallSignal() });
    return {
      etag: properties.etag ?? '',
      sourceETag: properties.metadata?.sourceetag,
      sourceSequencer: properties.metadata?.sourcesequencer,
    };
  } catch (error) {
    if (isNotFound(error)) return undefined;
    throw error;
  }
}

/**
 * Uploads a rendered derivative next to its siblings in the processed container, unless a NEWER source
 * version's derivative already sits at that name: an activity that downloaded version A before the user
 * replaced it with B may finish after B's run, and must not put A's pixels over B's. The blob's metadata
 * records the version it was made from (`sourceetag`, `sourcesequencer`); the write is conditional on what
 * was read (create-only, or If-Match), so a concurrent writer makes us read and decide again.
 */
export async function uploadDerivative(
  blobService: BlobServiceClient,
  options: {
    processedContainer: string;
    source: SourceRef;
    label: string;
    derivative: EncodedDerivative;
    now: Date;
    maxAttempts?: number;
  },
): Promise<UploadResult> {
  const { processedContainer, source, label, derivative, now } = options;
  const blobName = derivativeBlobName(source.blobName, label, derivative.extension);
  const blob = blobService.getContainerClient(processedContainer).getBlockBlobClient(blobName);
  const attempts = options.maxAttempts ?? DEFAULT_UPLOAD_ATTEMPTS;
  for (let attempt = 1; attempt <= attempts; attempt++) {
    const decision = await decideDerivativeWrite(source, await readExisting(blob), () =>
      currentSourceETag(blobService, source),
    );
    if (decision.action === 'superseded') {
      return { uploaded: false, reason: 'superseded', message: decision.reason };
    }
    let response;
    try {
      response = await blob.uploadData(derivative.data, {
        abortSignal: storageCallSignal(),
        conditions: decision.action === 'create' ? { ifNoneMatch: '*' } : { ifMatch: decision.etag },
        blobHTTPHeaders: {
          blobContentType: derivative.contentType,
          blobCacheControl: DERIVATIVE_CACHE_CONTROL,
        },
        metadata: {
          sourceetag: unquoteETag(source.eTag),
          sourcesequencer: source.sequencer,
          sizelabel: label,
        },
      });
    } catch (error) {
      // 412 (changed since read) or 409 (created since read): another writer got there; judge it afresh.
      if (isPreconditionFailed(error) || isConflict(error)) continue;
      throw error;
    }
    return {
      uploaded: true,
      variant: {
        label,
        width: derivative.width,
        height: derivative.height,
        contentType: derivative.contentType,
        format: derivative.format,
        blobName,
        url: blob.url,
        sizeBytes: derivative.data.length,
        eTag: response.etag ?? '',
        lastModified: (response.lastModified ?? now).toISOString(),
        createdAt: now.toISOString(),
      },
    };
  }
  throw new DerivativeWriteConflictError(blobName, attempts);
}
