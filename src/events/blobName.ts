/** Azure's limit for a blob name; longer names can never be real blobs. */
const MAX_BLOB_NAME_LENGTH = 1024;
// C0 controls and DEL: never part of a name a person uploaded, and they break logs, headers and paths.
// eslint-disable-next-line no-control-regex
const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f]/;

/**
 * Why a blob name is unsafe to derive derivative names and documents from, or undefined when it is fine.
 * Names reach us from events and URLs, so `..` segments (path traversal once a name becomes a path),
 * control characters and directory markers are refused rather than normalised.
 */
export function blobNameProblem(blobName: string): string | undefined {
  if (blobName === '') return 'the blob name is empty';
  if (blobName.length > MAX_BLOB_NAME_LENGTH) {
    return `the blob name is longer than ${MAX_BLOB_NAME_LENGTH} characters`;
  }
  if (CONTROL_CHARACTERS.test(blobName)) return 'the blob name contains control characters';
  const segments = blobName.split('/');
  if (segments.some((segment) => segment === '..' || segment === '.')) {
    return 'the blob name contains a "." or ".." path segment';
  }
  if (blobName.endsWith('/')) return 'the blob name ends with "/" (a directory marker, not a file)';
  return undefined;
}
