import type { BlobServiceClient } from '@azure/storage-blob';
import type { ListedBlob, ReconcileSource } from './publisher';

/** A listing gives eTags bare; a write's response, and so every event Azure sends, quotes them. */
function quoted(eTag: string): string {
  return eTag.startsWith('"') ? eTag : `"${eTag}"`;
}

/**
 * One container as the emulator itself holds it (`blobs` must reach Azurite directly, behind the proxy), for
 * the publisher's reconcile at start. `proxyPort`: where clients address blobs (the events' `data.url`).
 */
export function emulatorContainer(
  blobs: BlobServiceClient,
  container: string,
  proxyPort: number,
): ReconcileSource {
  const account = blobs.accountName;
  return {
    accountName: account,
    blobUrl: (name) =>
      `http://127.0.0.1:${proxyPort}/${account}/${container}/${name.split('/').map(encodeURIComponent).join('/')}`,
    async *listBlobs(): AsyncIterable<ListedBlob> {
      for await (const item of blobs.getContainerClient(container).listBlobsFlat()) {
        yield {
          blobName: item.name,
          eTag: quoted(item.properties.etag ?? ''),
          contentType: item.properties.contentType,
          contentLength: item.properties.contentLength,
          blobType: item.properties.blobType,
        };
      }
    },
  };
}
