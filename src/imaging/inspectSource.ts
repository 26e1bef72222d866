import { failure, sourceTooLarge, type Failure } from '../domain/failure';
import { detectFormat } from './detectFormat';
import { probeHeader, type SourceHeader } from './probeHeader';
import type { SourceLimits } from './types';

/**
 * Everything decided before a pixel is decoded, cheapest first: byte length, magic bytes, header (pixel
 * budget). Every problem with the file is a typed failure (`too-large`, `not-an-image`,
 * `unsupported-format`, `corrupt-image`, `too-many-pixels`).
 */
export async function inspectSource(
  source: Buffer,
  limits: SourceLimits,
): Promise<{ ok: true; header: SourceHeader } | Failure> {
  if (source.length > limits.maxSourceBytes) {
    return sourceTooLarge(source.length, limits.maxSourceBytes);
  }
  const detected = detectFormat(source);
  if (detected.kind === 'unknown') {
    return failure(
      'not-an-image',
      'The content is not an image (no known image signature in its first bytes)',
    );
  }
  if (detected.kind === 'unsupported') {
    return failure(
      'unsupported-format',
      `${detected.format} images are not supported; use JPEG, PNG, WebP, GIF, TIFF or AVIF`,
      { format: detected.format },
    );
  }
  return probeHeader(source, detected.format, limits);
}
