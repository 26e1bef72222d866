import type { BlobServiceClient } from '@azure/storage-blob';
import type { BlobDescription } from './blobEventProxy';
import type { BlobAddress } from './blobOperation';

/** Get Blob Properties straight from the emulator (the event's contentType, contentLength, blobType). */
export function describeBlobWith(
  blobs: BlobServiceClient,
): (address: BlobAddress) => Promise<BlobDescription | undefined> {
  return async (address) => {
    try {
      const properties = await blobs
        .getContainerClient(address.container)
        .getBlobClient(address.blobName)
        .getProperties();
      return {
        contentType: properties.contentType,
        contentLength: properties.contentLength,
        blobType: properties.blobType,
      };
    } catch (error) {
      if ((error as { statusCode?: number }).statusCode === 404) return undefined;
      throw error;
    }
  };
}
