import { ImageResourceError } from '../domain/errors';
import { failure, type Failure } from '../domain/failure';
import type { ProbedSource } from '../domain/types';
import { isResourceExhaustion } from './resourceExhaustion';

/** The message of whatever a decoder threw, for the outcome; libvips messages name the loader and problem. */
export function describeError(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.trim().split('\n').slice(0, 3).join('; ');
}

/**
 * What a libvips exception while reading `source.format` means. Problems with the file are permanent
 * failures (`too-many-pixels`, `corrupt-image`) carrying what was read of the source; running out of memory
 * or threads under load is transient and throws an `ImageResourceError`, so Durable retries the activity
 * instead of recording a good image as corrupt.
 */
export function decodeFailure(source: ProbedSource, stage: 'header' | 'decode', error: unknown): Failure {
  const { format } = source;
  const message = describeError(error);
  if (isResourceExhaustion(message)) {
    throw new ImageResourceError(
      `The ${format} ${stage} could not be read for lack of memory or threads (transient): ${message}`,
    );
  }
  if (stage === 'header') {
    return failure('corrupt-image', `The ${format} header could not be read: ${message}`, source);
  }
  if (/exceeds pixel limit/i.test(message)) {
    return failure('too-many-pixels', `The ${format} exceeds the pixel limit: ${message}`, source);
  }
  return failure('corrupt-image', `The ${format} could not be decoded: ${message}`, source);
}
