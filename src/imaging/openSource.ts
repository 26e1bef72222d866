import { failure, sourceTooLarge, type Failure } from '../domain/failure';
import { detectFormat } from './detectFormat';
import { decodeHeic } from './heif/decodeHeic';
import { probeHeader, type SourceHeader } from './probeHeader';
import type { SourceLimits } from './types';

/** A source that passed every check before the decode, ready for sharp. */
export interface OpenedSource {
  header: SourceHeader;
  /** What sharp reads: the upload itself, or for HEIC the decoded pixels as an uncompressed TIFF. */
  pixels: Buffer;
}

/**
 * The checks every render starts with, cheapest first: byte length, magic bytes, header (pixel budget); then,
 * for HEIC only, the decode itself (libheif in WebAssembly, in a worker thread), whose output sharp reads
 * like any other source. Problems with the file are typed failures (`too-large`, `not-an-image`,
 * `unsupported-format`, `corrupt-image`, `too-many-pixels`).
 */
export async function openSource(
  source: Buffer,
  limits: SourceLimits,
): Promise<{ ok: true; opened: OpenedSource } | Failure> {
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
      `${detected.format} images are not supported; use JPEG, PNG, WebP, GIF, TIFF, AVIF or HEIC`,
      { format: detected.format },
    );
  }
  const probed = await probeHeader(source, detected.format, limits);
  if (!probed.ok) return probed;
  const { header } = probed;
  if (header.heif === undefined) return { ok: true, opened: { header, pixels: source } };
  const heic = await decodeHeic(source, header.heif, { maxPixels: limits.maxSourcePixels });
  if (!heic.ok) return heic;
  return { ok: true, opened: { header, pixels: heic.decoded.tiff } };
}
