import { createHash } from 'node:crypto';
import type { BlobServiceClient, BlockBlobClient } from '@azure/storage-blob';
import { unquoteETag } from '../domain/ids';
import type { IntermediateRef, SizeSpec, SourceRef } from '../domain/types';
import { blobClientOf, blobProperties, downloadIfMatch, quotedETag } from './blobs';
import { storageCallSignal } from './callTimeout';
import { isConflict, isNotFound, isPreconditionFailed } from './serviceErrors';

/**
 * Where the intermediate of one run lives: keyed by the source version (container, name, eTag), by the run
 * (`instanceId`: a retry or a replay of the same run finds it again, while two runs of the same version never
 * share one, so neither can delete the other's) and by the plan's geometry (the boxes and fits that decide
 * its scale: a one-size re-run needs a smaller one, a `cover` box a larger one than `inside`). Hashes keep
 * the name short and free of the source name's characters.
 */
export function intermediateBlobName(
  source: SourceRef,
  sizes: readonly SizeSpec[],
  instanceId: string,
): string {
  const version = createHash('sha256')
    .update(`${source.container}\n${source.blobName}\n${unquoteETag(source.eTag)}\n${instanceId}`)
    .digest('hex');
  const geometry = sizes
    .map((size) => `${size.fit}:${size.width ?? ''}x${size.height ?? ''}`)
    .sort()
    .join(',');
  const plan = createHash('sha256').update(geometry).digest('hex').slice(0, 16);
  return `${version}/${plan}.tiff`;
}

/** Blob metadata (lower-case names, string values) carrying what the sizes need to know about the source. */
function toMetadata(ref: Omit<IntermediateRef, 'container' | 'blobName' | 'eTag'>): Record<string, string> {
  return {
    width: String(ref.width),
    height: String(ref.height),
    sourceformat: ref.source.format,
    sourcewidth: String(ref.source.width),
    sourceheight: String(ref.source.height),
    sourcehasalpha: String(ref.source.hasAlpha),
    sourcelength: String(ref.source.length),
    sourcecontenttype: encodeURIComponent(ref.source.contentType),
  };
}

function fromMetadata(
  container: string,
  blobName: string,
  eTag: string,
  metadata: Record<string, string>,
): IntermediateRef | undefined {
  const number = (name: string) => {
    const value = Number(metadata[name]);
    return Number.isSafeInteger(value) && value >= 0 ? value : undefined;
  };
  const [width, height, sourceWidth, sourceHeight, length] = [
    number('width'),
    number('height'),
    number('sourcewidth'),
    number('sourceheight'),
    number('sourcelength'),
  ];
  const format = metadata.sourceformat;
  if (
    width === undefined ||
    height === undefined ||
    sourceWidth === undefined ||
    sourceHeight === undefined ||
    length === undefined ||
    format === undefined
  ) {
    return undefined; // not ours, or written by an older layout: recreate it
  }
  return {
    container,
    blobName,
    eTag,
    width,
    height,
    source: {
      format,
      width: sourceWidth,
      height: sourceHeight,
      hasAlpha: metadata.sourcehasalpha === 'true',
      length,
      contentType: decodeURIComponent(metadata.sourcecontenttype ?? ''),
    },
  };
}

function blobOf(blobService: BlobServiceClient, container: string, blobName: string): BlockBlobClient {
  return blobService.getContainerClient(container).getBlockBlobClient(blobName);
}

/** The intermediate already written for this version and plan (by an earlier attempt), if any. */
export async function findIntermediate(
  blobService: BlobServiceClient,
  container: string,
  blobName: string,
): Promise<IntermediateRef | undefined> {
  const properties = await blobProperties(blobClientOf(blobService, container, blobName));
  if (properties === undefined) return undefined;
  return fromMetadata(container, blobName, unquoteETag(properties.etag ?? ''), properties.metadata ?? {});
}

/**
 * Writes the intermediate, create-only (If-None-Match: *): when an earlier attempt of the run already wrote it,
 * that one is kept and returned (its eTag is the one the sizes read and the delete matches); a blob there
 * that does not describe an intermediate is an error (transient to the caller: nothing of ours is
 * overwritten). The scratch container is created on first use, so a deployment without it still works;
 * infrastructure creates it with a lifecycle rule that deletes what a crashed or terminated run left behind.
 */
export async function writeIntermediate(
  blobService: BlobServiceClient,
  container: string,
  blobName: string,
  data: Buffer,
  description: Omit<IntermediateRef, 'container' | 'blobName' | 'eTag'>,
): Promise<IntermediateRef> {
  const blob = blobOf(blobService, container, blobName);
  const upload = () =>
    blob.uploadData(data, {
      metadata: toMetadata(description),
      blobHTTPHeaders: { blobContentType: 'image/tiff' },
      conditions: { ifNoneMatch: '*' },
      abortSignal: storageCallSignal(),
    });
  let response;
  try {
    try {
      response = await upload();
    } catch (error) {
      if (!isNotFound(error)) throw error; // 404 ContainerNotFound: the first write ever
      await blobService.getContainerClient(container).createIfNotExists({ abortSignal: storageCallSignal() });
      response = await upload();
    }
  } catch (error) {
    if (!isConflict(error) && !isPreconditionFailed(error)) throw error;
    const existing = await findIntermediate(blobService, container, blobName);
    if (existing === undefined) {
      throw new Error(`The scratch blob ${container}/${blobName} exists but is not an intermediate`, {
        cause: error,
      });
    }
    return existing;
  }
  return { container, blobName, eTag: unquoteETag(response.etag ?? ''), ...description };
}

/**
 * The intermediate's bytes (at most `maxBytes`), or undefined when it is gone or was replaced: the size then
 * reads the source.
 */
export async function downloadIntermediate(
  blobService: BlobServiceClient,
  ref: IntermediateRef,
  maxBytes: number,
): Promise<Buffer | undefined> {
  const downloaded = await downloadIfMatch(
    blobClientOf(blobService, ref.container, ref.blobName),
    ref.eTag,
    maxBytes,
  );
  return downloaded.ok ? downloaded.data : undefined;
}

/**
 * Deletes the intermediate the run used, only while it is that version (If-Match its eTag); already gone, or
 * replaced by a writer that is not this run, is fine and answers false.
 */
export async function deleteIntermediate(
  blobService: BlobServiceClient,
  ref: IntermediateRef,
): Promise<boolean> {
  try {
    const response = await blobOf(blobService, ref.container, ref.blobName).deleteIfExists({
      conditions: { ifMatch: quotedETag(ref.eTag) },
      abortSignal: storageCallSignal(),
    });
    return response.succeeded;
  } catch (error) {
    if (isPreconditionFailed(error)) return false;
    throw error;
  }
}
