import type { ErrorCode, ProbedSource } from './types';

/**
 * The one failure type: a permanent problem (with the source, or a newer version that supersedes the run) is
 * returned, never thrown. Every result union of the app discriminates on `ok`.
 */
export interface Failure {
  ok: false;
  error: { code: ErrorCode; message: string };
  /** Present once the source's format (and maybe header) was read. */
  source?: ProbedSource;
}

export function failure(code: ErrorCode, message: string, source?: ProbedSource): Failure {
  const error = { code, message };
  return source === undefined ? { ok: false, error } : { ok: false, error, source };
}

/** The one wording of `too-large`, whether the download or the renderer finds it. */
export function sourceTooLarge(bytes: number | string, maxSourceBytes: number): Failure {
  return failure(
    'too-large',
    `The source is ${bytes} bytes; the limit is ${maxSourceBytes} (MAX_SOURCE_BYTES)`,
  );
}
