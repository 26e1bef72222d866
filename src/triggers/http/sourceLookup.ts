import type { Container } from '@azure/cosmos';
import type { BlobServiceClient } from '@azure/storage-blob';
import type { ImageDocument } from '../../domain/types';
import { blobClientOf, blobProperties } from '../../storage/blobs';
import { cosmosDocumentStore } from '../../storage/documentStore';

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
  const properties = await blobProperties(blobClientOf(blobService, container, blobName));
  if (properties === undefined) return undefined;
  return {
    eTag: properties.etag ?? '',
    contentLength: properties.contentLength ?? 0,
    contentType: properties.contentType ?? 'application/octet-stream',
    lastModified: properties.lastModified?.toISOString() ?? null,
  };
}

/** The image document (without Cosmos system fields), or undefined when none has been written yet. */
export async function readImageDocument(
  documents: Container,
  documentId: string,
): Promise<ImageDocument | undefined> {
  return (await cosmosDocumentStore(documents).read(documentId))?.document;
}
