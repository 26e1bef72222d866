/**
 * The HTTP status of a failed Blob Storage or Cosmos DB call, or undefined for a failure that never got an
 * answer (network, abort), which callers treat as transient. storage-blob throws a `RestError` with
 * `statusCode`; @azure/cosmos throws an `ErrorResponse` whose `code` is the HTTP status (a number, or a
 * numeric string from some code paths). Service error NAMES (`BlobNotFound`, `ECONNRESET`) are never statuses.
 */
export function httpStatusOf(error: unknown): number | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const { statusCode, code } = error as { statusCode?: unknown; code?: unknown };
  if (typeof statusCode === 'number' && Number.isInteger(statusCode)) return statusCode;
  if (typeof code === 'number' && Number.isInteger(code)) return code;
  if (typeof code === 'string' && /^\d{3}$/.test(code)) return Number(code);
  return undefined;
}

/** 404: the blob, container or document does not exist. */
export const isNotFound = (error: unknown): boolean => httpStatusOf(error) === 404;

/** 412 on a conditional request (If-Match): the target changed since the ETag we hold. */
export const isPreconditionFailed = (error: unknown): boolean => httpStatusOf(error) === 412;

/** 409 on a create-only write (If-None-Match: * on a blob, `create` of a document): it exists since we looked. */
export const isConflict = (error: unknown): boolean => httpStatusOf(error) === 409;
