import type { BlobGetPropertiesResponse, BlobServiceClient } from '@azure/storage-blob';
import { derivativeUrl } from '../../domain/blobPath';
import { ConcurrentWriteError } from '../../domain/errors';
import { unquoteETag, versionTagFor } from '../../domain/ids';
import { DERIVATIVE_METADATA, derivativeBlobName } from '../../domain/derivativeNames';
import { WRITE_ATTEMPTS } from '../../domain/sourceVersion';
import type { SourceRef, Variant } from '../../domain/types';
import type { EncodedDerivative } from '../../imaging/types';
import { blobProperties, uploadConditionally } from '../../storage/blobs';

/**
 * A derivative's name belongs to one source version (`{source}/{v}/{label}.{ext}`) and its bytes never
 * change, so browsers and CDNs may keep it for a year without revalidating.
 */
export const DERIVATIVE_CACHE_CONTROL = 'public, max-age=31536000, immutable';

function variantOf(
  label: string,
  derivative: EncodedDerivative,
  blobName: string,
  url: string,
  stored: { eTag: string; lastModified: Date | undefined; sizeBytes: number; createdOn: Date | undefined },
  now: Date,
): Variant {
  return {
    label,
    width: derivative.width,
    height: derivative.height,
    contentType: derivative.contentType,
    format: derivative.format,
    blobName,
    url,
    sizeBytes: stored.sizeBytes,
    eTag: stored.eTag,
    lastModified: (stored.lastModified ?? now).toISOString(),
    createdAt: (stored.createdOn ?? now).toISOString(),
  };
}

function madeFrom(properties: BlobGetPropertiesResponse, source: SourceRef): boolean {
  const recorded = properties.metadata?.[DERIVATIVE_METADATA.sourceETag];
  return recorded !== undefined && unquoteETag(recorded) === unquoteETag(source.eTag);
}

/**
 * Writes a rendered derivative once: create-only (If-None-Match: *) under its version's name. When the name
 * is taken by a derivative of the SAME source version (its metadata says so), this is a retry of work that
 * already succeeded (an activity that uploaded, then crashed or timed out before reporting), and that blob
 * is the result: same version, same label, same bytes. Anything else at the name (a blob this pipeline did
 * not write) is replaced with If-Match on what was read. Losing every round throws `ConcurrentWriteError`.
 */
export async function uploadDerivative(
  /** The derivatives account (`getDerivativesBlobService()`), where `processedContainer` lives. */
  derivativeBlobService: BlobServiceClient,
  options: {
    processedContainer: string;
    source: SourceRef;
    label: string;
    derivative: EncodedDerivative;
    now: Date;
    maxAttempts?: number;
    /** `DERIVATIVE_BASE_URL`: the variant's `url` points there instead of at the blob. */
    derivativeBaseUrl?: string;
  },
): Promise<Variant> {
  const { processedContainer, source, label, derivative, now } = options;
  const versionTag = versionTagFor(source.container, source.blobName, source.eTag);
  const blobName = derivativeBlobName(source.blobName, versionTag, label, derivative.extension);
  const blob = derivativeBlobService.getContainerClient(processedContainer).getBlockBlobClient(blobName);
  const url = derivativeUrl(blob.url, blobName, options.derivativeBaseUrl);
  const uploadOptions = {
    contentType: derivative.contentType,
    cacheControl: DERIVATIVE_CACHE_CONTROL,
    metadata: {
      [DERIVATIVE_METADATA.sourceETag]: unquoteETag(source.eTag),
      [DERIVATIVE_METADATA.sourceSequencer]: source.sequencer,
      [DERIVATIVE_METADATA.label]: label,
    },
  };
  const attempts = options.maxAttempts ?? WRITE_ATTEMPTS;
  let condition: { ifNoneMatch: '*' } | { ifMatch: string } = { ifNoneMatch: '*' };
  for (let attempt = 1; attempt <= attempts; attempt++) {
    const written = await uploadConditionally(blob, derivative.data, condition, uploadOptions);
    if (written.ok) {
      const stored = {
        eTag: written.eTag,
        lastModified: written.lastModified,
        sizeBytes: derivative.data.length,
        createdOn: now,
      };
      return variantOf(label, derivative, blobName, url, stored, now);
    }
    const existing = await blobProperties(blob);
    if (existing === undefined) {
      condition = { ifNoneMatch: '*' };
      continue;
    }
    if (madeFrom(existing, source)) {
      const stored = {
        eTag: existing.etag ?? '',
        lastModified: existing.lastModified,
        sizeBytes: existing.contentLength ?? derivative.data.length,
        createdOn: existing.createdOn,
      };
      return variantOf(label, derivative, blobName, url, stored, now);
    }
    condition = { ifMatch: existing.etag ?? '' };
  }
  throw new ConcurrentWriteError(`Derivative ${blobName}`, attempts);
}
