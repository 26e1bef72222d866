import type { BlobServiceClient } from '@azure/storage-blob';
import { derivativeUrl } from '../../domain/blobPath';
import { ConcurrentWriteError } from '../../domain/errors';
import { unquoteETag, versionTagFor } from '../../domain/ids';
import { DERIVATIVE_METADATA, derivativeBlobName } from '../../domain/derivativeNames';
import { WRITE_ATTEMPTS } from '../../domain/sourceVersion';
import type { SourceRef, Variant } from '../../domain/types';
import type { EncodedDerivative, OutputEncoding } from '../../imaging/types';
import { blobProperties, uploadConditionally } from '../../storage/blobs';
import { fromProperties, madeFromVersion, storedDimensions } from './storedDerivative';

/**
 * A derivative's name belongs to one source version (`{source}/{v}/{label}.{ext}`) and its bytes never
 * change, so browsers and CDNs may keep it for a year without revalidating.
 */
export const DERIVATIVE_CACHE_CONTROL = 'public, max-age=31536000, immutable';

/** Where a variant's bytes are and what they are, whether this run wrote them or found them stored. */
interface Placed {
  blobName: string;
  url: string;
  width: number;
  height: number;
  eTag: string;
  sizeBytes: number;
  lastModified: Date | undefined;
  createdOn: Date | undefined;
}

export function variantOf(
  label: string,
  encoding: Pick<OutputEncoding | EncodedDerivative, 'format' | 'contentType'>,
  placed: Placed,
  now: Date,
): Variant {
  return {
    label,
    width: placed.width,
    height: placed.height,
    contentType: encoding.contentType,
    format: encoding.format,
    blobName: placed.blobName,
    url: placed.url,
    sizeBytes: placed.sizeBytes,
    eTag: placed.eTag,
    lastModified: (placed.lastModified ?? now).toISOString(),
    createdAt: (placed.createdOn ?? now).toISOString(),
  };
}

/** What an upload recorded: the variant, and whether the stored derivative it found has other settings. */
export interface UploadedDerivative {
  variant: Variant;
  /**
   * The name was already taken by this version's derivative rendered with other settings (its spec hash
   * differs, or, for a blob written before the hash was stored, its dimensions differ from this render's).
   * The variant then describes the STORED blob, which is kept.
   */
  renditionChanged: boolean;
}

/**
 * Writes a rendered derivative once: create-only (If-None-Match: *) under its version's name, with its
 * dimensions and `renditionSpecHash` as metadata. When the name is taken by a derivative of the SAME source
 * version (its metadata says so) the stored blob is the result and is never overwritten (a version's
 * derivatives never change): the variant records ITS real width, height, bytes and eTag (dimensions from its
 * metadata, or its header for older blobs), and `renditionChanged` says whether it was rendered with other
 * settings. Anything else at the name (a blob this pipeline did not write) is replaced with If-Match on what
 * was read. Losing every round throws `ConcurrentWriteError`.
 */
export async function uploadDerivative(
  /** The derivatives account (`getDerivativesBlobService()`), where `processedContainer` lives. */
  derivativeBlobService: BlobServiceClient,
  options: {
    processedContainer: string;
    source: SourceRef;
    label: string;
    /** `renditionSpecHash(spec, derivative.format)` of the settings it was rendered with. */
    specHash: string;
    derivative: EncodedDerivative;
    now: Date;
    maxAttempts?: number;
    /** `DERIVATIVE_BASE_URL`: the variant's `url` points there instead of at the blob. */
    derivativeBaseUrl?: string;
    /** The source as the render found it, recorded so a re-run answers without reading it (`recordedSource`). */
    sourceFacts?: { format: string; width: number; height: number; length: number };
  },
): Promise<UploadedDerivative> {
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
      [DERIVATIVE_METADATA.width]: String(derivative.width),
      [DERIVATIVE_METADATA.height]: String(derivative.height),
      [DERIVATIVE_METADATA.renditionSpec]: options.specHash,
      ...(options.sourceFacts === undefined
        ? {}
        : {
            [DERIVATIVE_METADATA.sourceFormat]: options.sourceFacts.format,
            [DERIVATIVE_METADATA.sourceWidth]: String(options.sourceFacts.width),
            [DERIVATIVE_METADATA.sourceHeight]: String(options.sourceFacts.height),
            [DERIVATIVE_METADATA.sourceLength]: String(options.sourceFacts.length),
          }),
    },
  };
  const attempts = options.maxAttempts ?? WRITE_ATTEMPTS;
  let condition: { ifNoneMatch: '*' } | { ifMatch: string } = { ifNoneMatch: '*' };
  for (let attempt = 1; attempt <= attempts; attempt++) {
    const written = await uploadConditionally(blob, derivative.data, condition, uploadOptions);
    if (written.ok) {
      const placed = {
        blobName,
        url,
        width: derivative.width,
        height: derivative.height,
        eTag: written.eTag,
        lastModified: written.lastModified,
        sizeBytes: derivative.data.length,
        createdOn: now,
      };
      return { variant: variantOf(label, derivative, placed, now), renditionChanged: false };
    }
    const properties = await blobProperties(blob);
    if (properties === undefined) {
      condition = { ifNoneMatch: '*' };
      continue;
    }
    const existing = fromProperties(properties);
    if (madeFromVersion(existing, source)) {
      const { width, height } = await storedDimensions(blob, existing);
      const recordedSpec = existing.metadata[DERIVATIVE_METADATA.renditionSpec];
      const renditionChanged =
        recordedSpec === undefined
          ? width !== derivative.width || height !== derivative.height
          : recordedSpec !== options.specHash;
      const placed = { ...existing, blobName, url, width, height };
      return { variant: variantOf(label, derivative, placed, now), renditionChanged };
    }
    condition = { ifMatch: existing.eTag };
  }
  throw new ConcurrentWriteError(`Derivative ${blobName}`, attempts);
}
