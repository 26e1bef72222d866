import { describeError, imageFailure, type ImageFailure } from './failure';
import { ImageResourceError, isResourceExhaustion } from './resourceExhaustion';
import type { DecodableFormat } from './types';

/**
 * What a libvips exception while reading `format` means. Problems with the file are permanent outcomes
 * (`too-many-pixels`, `corrupt-image`); running out of memory or threads under load is transient and throws
 * an `ImageResourceError`, so Durable retries the activity instead of recording a good image as corrupt.
 */
export function decodeFailure(
  format: DecodableFormat,
  stage: 'header' | 'decode',
  error: unknown,
): ImageFailure {
  const message = describeError(error);
  if (isResourceExhaustion(message)) {
    throw new ImageResourceError(
      `The ${format} ${stage} could not be read for lack of memory or threads (transient): ${message}`,
    );
  }
  if (stage === 'header') {
    return imageFailure('corrupt-image', `The ${format} header could not be read: ${message}`);
  }
  if (/exceeds pixel limit/i.test(message)) {
    return imageFailure('too-many-pixels', `The ${format} exceeds the pixel limit: ${message}`);
  }
  return imageFailure('corrupt-image', `The ${format} could not be decoded: ${message}`);
}
