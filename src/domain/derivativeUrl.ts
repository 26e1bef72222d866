/**
 * The URL a browser loads a derivative from: `baseUrl` (DERIVATIVE_BASE_URL, e.g.
 * `https://fde-….azurefd.net/images-processed`) + `/` + the blob name with each `/`-separated segment
 * percent-encoded (RFC 3986 path segments: spaces, `%`, `?`, `#` and non-ASCII as UTF-8 escapes), so
 * `users/42/my cat.jpg/…/thumb.jpg` stays a path and never becomes a query or a fragment.
 */
export function derivativeUrl(baseUrl: string, blobName: string): string {
  return `${baseUrl}/${blobName.split('/').map(encodeURIComponent).join('/')}`;
}
