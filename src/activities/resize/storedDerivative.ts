import type { BlobClient, BlobGetPropertiesResponse, BlobItem, ContainerClient } from '@azure/storage-blob';
import sharp from 'sharp';
import { DERIVATIVE_METADATA } from '../../domain/derivativeNames';
import { unquoteETag } from '../../domain/ids';
import type { SourceRef } from '../../domain/types';
import { downloadRange, quotedETag } from '../../storage/blobs';
import { DECODABLE_FORMATS, type DecodableFormat } from '../../imaging/types';

/*
 * What a derivative already stored at its name really is. A version's derivative is never overwritten (its
 * name is the version's, caches keep it a year), so when a later run finds the name taken, the variant it
 * records must describe THOSE bytes, not the ones it rendered (the label may have been retuned since).
 */

/** The stored facts of one derivative blob, from its properties or a listing item. */
export interface StoredDerivative {
  eTag: string;
  sizeBytes: number;
  contentType: string | undefined;
  lastModified: Date | undefined;
  createdOn: Date | undefined;
  metadata: Record<string, string>;
}

export function fromProperties(properties: BlobGetPropertiesResponse): StoredDerivative {
  return {
    eTag: properties.etag ?? '',
    sizeBytes: properties.contentLength ?? 0,
    contentType: properties.contentType,
    lastModified: properties.lastModified,
    createdOn: properties.createdOn,
    metadata: properties.metadata ?? {},
  };
}

export function fromListing(item: BlobItem): StoredDerivative {
  return {
    // A listing reports eTags unquoted, properties and uploads quoted: one form in variants.
    eTag: quotedETag(item.properties.etag),
    sizeBytes: item.properties.contentLength ?? 0,
    contentType: item.properties.contentType,
    lastModified: item.properties.lastModified,
    createdOn: item.properties.createdOn,
    metadata: item.metadata ?? {},
  };
}

/** Whether the stored blob says it was made from exactly this source version. */
export function madeFromVersion(stored: StoredDerivative, source: SourceRef): boolean {
  const recorded = stored.metadata[DERIVATIVE_METADATA.sourceETag];
  return recorded !== undefined && unquoteETag(recorded) === unquoteETag(source.eTag);
}

function positiveInt(value: string | undefined): number | undefined {
  if (value === undefined || !/^[1-9][0-9]{0,5}$/.test(value)) return undefined;
  return Number(value);
}

/** The source facts recorded in the blob's metadata at write (see `DERIVATIVE_METADATA.sourceFormat`). */
export function recordedSource(
  stored: StoredDerivative,
): { format: DecodableFormat; width: number; height: number; length: number } | undefined {
  const format = DECODABLE_FORMATS.find(
    (known) => known === stored.metadata[DERIVATIVE_METADATA.sourceFormat],
  );
  const width = positiveInt(stored.metadata[DERIVATIVE_METADATA.sourceWidth]);
  const height = positiveInt(stored.metadata[DERIVATIVE_METADATA.sourceHeight]);
  const lengthText = stored.metadata[DERIVATIVE_METADATA.sourceLength];
  const length =
    lengthText !== undefined && /^[1-9][0-9]{0,15}$/.test(lengthText) ? Number(lengthText) : undefined;
  if (format === undefined || width === undefined || height === undefined || length === undefined)
    return undefined;
  return { format, width, height, length };
}

/** Width and height recorded in the blob's metadata at write, or undefined (written before they were). */
export function recordedDimensions(stored: StoredDerivative): { width: number; height: number } | undefined {
  const width = positiveInt(stored.metadata[DERIVATIVE_METADATA.width]);
  const height = positiveInt(stored.metadata[DERIVATIVE_METADATA.height]);
  return width === undefined || height === undefined ? undefined : { width, height };
}

/**
 * Header bytes read to learn a legacy derivative's dimensions: JPEG SOF, PNG IHDR, WebP VP8X and AVIF `ispe`
 * all sit in the first few KiB of what our encoders write (no metadata is kept); 64 KiB leaves room.
 */
export const HEADER_READ_BYTES = 64 * 1024;

/**
 * The real dimensions of a stored derivative: from its metadata, else (a blob written before the metadata
 * existed) from its header with sharp `metadata()` on a ranged read, falling back to the whole blob when the
 * header does not fit in the range. Throws (transient to the caller) only when storage does.
 */
export async function storedDimensions(
  blob: BlobClient,
  stored: StoredDerivative,
): Promise<{ width: number; height: number }> {
  const recorded = recordedDimensions(stored);
  if (recorded !== undefined) return recorded;
  for (const length of [HEADER_READ_BYTES, undefined]) {
    const bytes = await downloadRange(blob, stored.eTag, length);
    try {
      const { width, height } = await sharp(bytes).metadata();
      if (width > 0 && height > 0) return { width, height };
    } catch {
      // Header beyond the range: read the whole blob.
    }
  }
  throw new Error(`Derivative ${blob.name} has no readable dimensions`);
}

/** Every stored blob of one label of one version, by name: one listing with metadata. */
export async function listLabelBlobs(
  container: ContainerClient,
  versionPrefix: string,
  label: string,
): Promise<Map<string, StoredDerivative>> {
  const found = new Map<string, StoredDerivative>();
  for await (const item of container.listBlobsFlat({
    prefix: `${versionPrefix}${label}.`,
    includeMetadata: true,
  })) {
    found.set(item.name, fromListing(item));
  }
  return found;
}
