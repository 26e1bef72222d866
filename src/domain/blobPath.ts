/** A blob name as a URL path: each segment percent-encoded, the `/` between them kept. */
export function blobPath(blobName: string): string {
  return blobName.split('/').map(encodeURIComponent).join('/');
}

/**
 * A derivative's public URL: on the delivery host (`DERIVATIVE_BASE_URL`, e.g. a CDN in front of the
 * derivatives container) when one is configured, else the blob's own URL.
 */
export function derivativeUrl(blobUrl: string, blobName: string, baseUrl: string | undefined): string {
  return baseUrl === undefined ? blobUrl : `${baseUrl}/${blobPath(blobName)}`;
}
