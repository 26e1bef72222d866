import type { Container } from '@azure/cosmos';
import { RestError, type BlobServiceClient } from '@azure/storage-blob';
import { storageCallSignal } from '../../activities/blob/storageTimeout';
import type { ImageDocument } from '../../domain/types';

/** What the HTTP API needs of a source blob's current version. */
export interface BlobVersion {
  eTag: string;
  contentLength: number;
  contentType: string;
  lastModified: string | null;
}

/** The blob's current properties, or undefined when it does not exist (other failures throw: a 500 is right). */
export async function readBlobVersion(
  blobService: BlobServiceClient,
  container: string,
  blobName: string,
): Promise<BlobVersion | undefined> {
  try {
    const properties = await blobService
      .getContainerClient(container)
      .getBlobClient(blobName)
      .getProperties({ abortSignal: storageCallSignal() });
    return {
      eTag: properties.etag ?? '',
      contentLength: properties.contentLength ?? 0,
      contentType: properties.contentType ?? 'application/octet-stream',
      lastModified: properties.lastModified?.toISOString() ?? null,
    };
  } catch (error) {
    if (error instanceof RestError && error.statusCode === 404) return undefined;
    throw error;
  }
}

/** The image document, or undefined when none has been written yet (the Cosmos SDK reports 404 that way). */
export async function readImageDocument(
  documents: Container,
  documentId: string,
): Promise<ImageDocument | undefined> {
  const { resource } = await documents.item(documentId, documentId).read<ImageDocument>();
  return resource;
}
