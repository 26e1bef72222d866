import type { BlobServiceClient, BlockBlobClient } from '@azure/storage-blob';
import { derivativeUrl } from '../../domain/blobPath';
import { ConcurrentWriteError } from '../../domain/errors';
import { unquoteETag } from '../../domain/ids';
import { derivativeBlobName } from '../../domain/derivativeNames';
import { WRITE_ATTEMPTS } from '../../domain/sourceVersion';
import type { SourceRef, Variant } from '../../domain/types';
import type { Failure } from '../../domain/failure';
import type { EncodedDerivative } from '../../imaging/types';
import { blobClientOf, blobProperties, currentETag, uploadConditionally } from '../../storage/blobs';
import { decideDerivativeWrite, type ExistingDerivative } from './derivativeOrder';

/**
 * Derivative names are stable per source PATH (`{dir/}{stem}_{label}.{ext}`), and a re-upload of the same
 * path overwrites them in place. `immutable` with a year would pin a stale picture in browsers and CDNs for
 * that year, so derivatives get a day: long enough to offload repeat views, short enough that a replaced
 * photo shows up, and each carries its ETag so a revalidation is a cheap 304.
 */
export const DERIVATIVE_CACHE_CONTROL = 'public, max-age=86400';

export type UploadResult = { ok: true; variant: Variant } | Failure;

async function readExisting(blob: BlockBlobClient): Promise<ExistingDerivative | undefined> {
  const properties = await blobProperties(blob);
  if (properties === undefined) return undefined;
  return {
    eTag: properties.etag ?? '',
    sourceETag: properties.metadata?.sourceetag,
    sourceSequencer: properties.metadata?.sourcesequencer,
  };
}

/**
 * Uploads a rendered derivative next to its siblings in the processed container, unless a NEWER source
 * version's derivative already sits at that name: an activity that downloaded version A before the user
 * replaced it with B may finish after B's run, and must not put A's pixels over B's. The blob's metadata
 * records the version it was made from (`sourceetag`, `sourcesequencer`); the write is conditional on what
 * was read (create-only, or If-Match), so a concurrent writer makes us read and decide again.
 * A newer version's derivative is a `superseded` failure; losing every round throws `ConcurrentWriteError`.
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
    /** `DERIVATIVE_BASE_URL`: the variant's `url` points there instead of at the blob. */
    derivativeBaseUrl?: string;
  },
): Promise<UploadResult> {
  const { processedContainer, source, label, derivative, now } = options;
  const blobName = derivativeBlobName(source.blobName, label, derivative.extension);
  const blob = blobService.getContainerClient(processedContainer).getBlockBlobClient(blobName);
  const attempts = options.maxAttempts ?? WRITE_ATTEMPTS;
  for (let attempt = 1; attempt <= attempts; attempt++) {
    const decision = await decideDerivativeWrite(source, await readExisting(blob), () =>
      currentETag(blobClientOf(blobService, source.container, source.blobName)),
    );
    if (decision.action === 'superseded') {
      return { ok: false, error: { code: 'superseded', message: decision.reason } };
    }
    const written = await uploadConditionally(
      blob,
      derivative.data,
      decision.action === 'create' ? { ifNoneMatch: '*' } : { ifMatch: decision.eTag },
      {
        contentType: derivative.contentType,
        cacheControl: DERIVATIVE_CACHE_CONTROL,
        metadata: {
          sourceetag: unquoteETag(source.eTag),
          sourcesequencer: source.sequencer,
          sizelabel: label,
        },
      },
    );
    if (!written.ok) continue;
    return {
      ok: true,
      variant: {
        label,
        width: derivative.width,
        height: derivative.height,
        contentType: derivative.contentType,
        format: derivative.format,
        blobName,
        url: derivativeUrl(blob.url, blobName, options.derivativeBaseUrl),
        sizeBytes: derivative.data.length,
        eTag: written.eTag,
        lastModified: (written.lastModified ?? now).toISOString(),
        createdAt: now.toISOString(),
      },
    };
  }
  throw new ConcurrentWriteError(`Derivative ${blobName}`, attempts);
}
