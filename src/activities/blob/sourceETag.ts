import type { BlobServiceClient } from '@azure/storage-blob';
import type { SourceRef } from '../../domain/types';
import { isNotFound } from './restErrors';
import { storageCallSignal } from './storageTimeout';

/** The source blob's current eTag (a HEAD; no body), or undefined when it no longer exists. */
export async function currentSourceETag(
  blobService: BlobServiceClient,
  source: Pick<SourceRef, 'container' | 'blobName'>,
): Promise<string | undefined> {
  try {
    const properties = await blobService
      .getContainerClient(source.container)
      .getBlobClient(source.blobName)
      .getProperties({ abortSignal: storageCallSignal() });
    return properties.etag;
  } catch (error) {
    if (isNotFound(error)) return undefined;
    throw error;
  }
}
