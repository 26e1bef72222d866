import type { BlobServiceClient, ContainerListBlobFlatSegmentResponse } from '@azure/storage-blob';
import type { ListedBlob } from '../domain/backfill';
import { quotedETag } from './blobs';
import { storageCallSignal, STORAGE_CALL_TIMEOUT_MS } from './callTimeout';

/** One page of a flat listing and where the next starts (undefined: this was the last page). */
export interface ListingPage {
  blobs: ListedBlob[];
  continuationToken: string | undefined;
}

/**
 * One List Blobs call (`maxresults` = `pageSize`, at most 5,000 by the service's rule), from `continuationToken`
 * (the service's `NextMarker`, opaque). Names, eTags, lengths and content types only: no metadata, no tags.
 */
export async function listSourcePage(
  service: BlobServiceClient,
  container: string,
  prefix: string,
  pageSize: number,
  continuationToken: string | undefined,
): Promise<ListingPage> {
  const pages = service
    .getContainerClient(container)
    .listBlobsFlat({
      prefix: prefix === '' ? undefined : prefix,
      abortSignal: storageCallSignal(STORAGE_CALL_TIMEOUT_MS),
    })
    .byPage({ maxPageSize: pageSize, ...(continuationToken ? { continuationToken } : {}) });
  const next: IteratorResult<ContainerListBlobFlatSegmentResponse> = await pages.next();
  if (next.done === true) return { blobs: [], continuationToken: undefined };
  const page = next.value;
  return {
    blobs: page.segment.blobItems.map((item) => ({
      name: item.name,
      // Listings return the eTag bare; events and HEAD answers quote it. Runs carry the quoted form.
      eTag: quotedETag(item.properties.etag ?? ''),
      contentLength: item.properties.contentLength ?? 0,
      contentType: item.properties.contentType ?? 'application/octet-stream',
    })),
    continuationToken: page.continuationToken === '' ? undefined : page.continuationToken,
  };
}
