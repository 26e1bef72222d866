import type { ErrorCode } from '../domain/types';

/** A permanent problem with the source, as `RenderResult` and the activities report it. */
export interface ImageFailure {
  ok: false;
  error: { code: ErrorCode; message: string };
}

export function imageFailure(code: ErrorCode, message: string): ImageFailure {
  return { ok: false, error: { code, message } };
}

/** The message of whatever a decoder threw, for the outcome; libvips messages name the loader and problem. */
export function describeError(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.trim().split('\n').slice(0, 3).join('; ');
}
