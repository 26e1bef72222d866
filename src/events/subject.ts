/** `/blobServices/default/containers/{container}/blobs/{blobPath}`; the blob path may contain `/`. */
const BLOB_SUBJECT = /^\/blobServices\/default\/containers\/([^/]+)\/blobs\/(.*)$/s;

export type BlobSubject = { ok: true; container: string; blobName: string } | { ok: false; problem: string };

/**
 * Container and blob name from a BlobCreated subject, URL-decoded exactly once (a name that really contains
 * `%2F` arrives as `%252F` and stays `%2F`). The subject is the only place we take them from: `data.url` is
 * never trusted or fetched.
 */
export function parseBlobSubject(subject: string): BlobSubject {
  const match = BLOB_SUBJECT.exec(subject);
  if (!match)
    return {
      ok: false,
      problem: 'the subject is not /blobServices/default/containers/{container}/blobs/{name}',
    };
  const [, rawContainer = '', rawBlobName = ''] = match;
  try {
    return {
      ok: true,
      container: decodeURIComponent(rawContainer),
      blobName: decodeURIComponent(rawBlobName),
    };
  } catch {
    return { ok: false, problem: 'the subject contains an invalid %-escape' };
  }
}
