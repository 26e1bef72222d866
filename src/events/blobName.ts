import { MAX_LABEL_LENGTH } from '../config/sizes';
import { VERSION_TAG_LENGTH } from '../domain/ids';

/** Azure's limit for a blob name. */
const AZURE_MAX_BLOB_NAME_LENGTH = 1024;
/** The longest derivative extension: `webp`, `avif` (docs/design.md: jpg, png, webp, gif, avif). */
const MAX_EXTENSION_LENGTH = 4;
/**
 * The most `derivativeBlobName` adds to a source name: `/{v}/{label}.{ext}` with the longest label and
 * extension (1 + 12 + 1 + 32 + 1 + 4 = 51).
 */
const MAX_DERIVATIVE_SUFFIX_LENGTH =
  '/'.length + VERSION_TAG_LENGTH + '/'.length + MAX_LABEL_LENGTH + '.'.length + MAX_EXTENSION_LENGTH;
/**
 * Longest accepted source name (973): every derivative name must also fit Azure's 1024, or its upload fails
 * with a 400 that Durable retries until the size ends as `internal`. Refused up front, it is a clear outcome.
 */
export const MAX_SOURCE_BLOB_NAME_LENGTH = AZURE_MAX_BLOB_NAME_LENGTH - MAX_DERIVATIVE_SUFFIX_LENGTH;
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
  if (blobName.length > MAX_SOURCE_BLOB_NAME_LENGTH) {
    return (
      `the blob name is longer than ${MAX_SOURCE_BLOB_NAME_LENGTH} characters ` +
      `(Azure's ${AZURE_MAX_BLOB_NAME_LENGTH} less ${MAX_DERIVATIVE_SUFFIX_LENGTH} for the longest derivative suffix "/{v}/{label}.{ext}")`
    );
  }
  if (CONTROL_CHARACTERS.test(blobName)) return 'the blob name contains control characters';
  const segments = blobName.split('/');
  if (segments.some((segment) => segment === '..' || segment === '.')) {
    return 'the blob name contains a "." or ".." path segment';
  }
  if (blobName.endsWith('/')) return 'the blob name ends with "/" (a directory marker, not a file)';
  return undefined;
}
