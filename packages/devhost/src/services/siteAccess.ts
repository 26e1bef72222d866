import type { BlobServiceClient } from '@azure/storage-blob';

/**
 * What the site needs of the local Blob service, set the way Azure is configured (Set Blob Service Properties,
 * Set Container ACL), so the browser meets the same rules locally:
 * - CORS: the pages' origins may PUT a blob with the two headers the upload sends; the answer exposes the
 *   headers the page reads. Nothing else is allowed cross-origin (Azurite, like Azure, refuses other preflights).
 * - Delivery: the derivatives container gets blob-level public read (`blob`), never `container`, so a document's
 *   `url` loads in a browser while nothing can be listed; the sources' container stays private.
 */
export async function configureSiteAccess(
  blobs: BlobServiceClient,
  options: { siteOrigins: string[]; derivativesContainer: string },
): Promise<void> {
  await blobs.setProperties({
    cors: [
      {
        allowedOrigins: options.siteOrigins.join(','),
        allowedMethods: 'PUT',
        allowedHeaders: 'x-ms-blob-type,content-type',
        exposedHeaders: 'etag,x-ms-error-code,x-ms-request-id',
        maxAgeInSeconds: 3600,
      },
    ],
  });
  await blobs.getContainerClient(options.derivativesContainer).setAccessPolicy('blob');
}
