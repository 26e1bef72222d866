import type { HttpResponseInit } from '@azure/functions';

/** Error codes of the HTTP API; the body always says which and why, in plain words. */
export type HttpErrorCode =
  'not-found' | 'invalid-blob-name' | 'unknown-sizes' | 'invalid-request' | 'backfill-running';

export function jsonError(
  status: 400 | 404 | 409,
  error: HttpErrorCode,
  message: string,
  details: Record<string, unknown> = {},
): HttpResponseInit {
  return { status, jsonBody: { error, message, ...details } };
}
