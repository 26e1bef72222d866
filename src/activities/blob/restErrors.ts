import { RestError } from '@azure/storage-blob';

/** The HTTP status of a storage error, undefined for network-level failures (which are transient). */
export function httpStatusOf(error: unknown): number | undefined {
  return error instanceof RestError ? error.statusCode : undefined;
}

/** 404 from Blob Storage: the blob (or container) does not exist. */
export function isNotFound(error: unknown): boolean {
  return httpStatusOf(error) === 404;
}

/** 412 on a conditional request: the blob changed since the eTag we hold. */
export function isPreconditionFailed(error: unknown): boolean {
  return httpStatusOf(error) === 412;
}

/** 409 on a create-only write (If-None-Match: *): the blob was created since we looked. */
export function isConflict(error: unknown): boolean {
  return httpStatusOf(error) === 409;
}
