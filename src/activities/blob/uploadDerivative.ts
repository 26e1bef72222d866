import type { BlobServiceClient } from '@azure/storage-blob';
import { unquoteETag } from '../../domain/ids';
import { derivativeBlobName } from '../../domain/naming';
import type { SourceRef, Variant } from '../../domain/types';
import type { RenderedDerivative } from '../../imaging/types';
import { storageCallSignal } from './storageTimeout';

/**
 * Derivative names are stable per source PATH (DESIGN.md: `{dir/}{stem}_{label}.{ext}`), and a re-upload of
 * the same path overwrites them in place. `immutable` with a year would pin a stale picture in browsers and
 * CDNs for that year, so derivatives get a day: long enough to offload repeat views, short enough that a
 * replaced photo shows up, and each carries its ETag so a revalidation is a cheap 304.
 */
export const DERIVATIVE_CACHE_CONTROL = 'public, max-age=86400';

/** Upload a rendered derivative next to its siblings in the processed container and describe it. */
export async function uploadDerivative(
  blobService: BlobServiceClient,
  options: {
    processedContainer: string;
    source: SourceRef;
    label: string;
    derivative: RenderedDerivative;
    now: Date;
  },
): Promise<Variant> {
  const { processedContainer, source, label, derivative, now } = options;
  const blobName = derivativeBlobName(source.blobName, label, derivative.extension);
  const blob = blobService.getContainerClient(processedContainer).getBlockBlobClient(blobName);
  const response = await blob.uploadData(derivative.data, {
    abortSignal: storageCallSignal(),
    blobHTTPHeaders: { blobContentType: derivative.contentType, blobCacheControl: DERIVATIVE_CACHE_CONTROL },
    // Which source version this was made from: lets an operator (or a cleanup job) spot orphans and races.
    metadata: { sourceetag: unquoteETag(source.eTag), sizelabel: label },
  });
  return {
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
  };
}
