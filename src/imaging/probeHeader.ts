import sharp from 'sharp';
import { describeError, imageFailure, type ImageFailure } from './failure';
import { heifCodec } from './heifCodec';
import type { DecodableFormat, SourceLimits } from './types';

/** What the header says, before any pixel is decoded. */
export interface SourceHeader {
  /** Detected format, refined for generic HEIF containers ("AVIF" when the payload is AV1). */
  format: DecodableFormat;
  /** Dimensions as displayed, i.e. after EXIF orientation. */
  width: number;
  height: number;
  pages: number;
  hasAlpha: boolean;
}

export type ProbeResult = { ok: true; header: SourceHeader } | ImageFailure;

/**
 * Reads only the header (sharp `metadata()`: libvips opens the file lazily and decodes no pixels) and applies
 * the pixel budget. `limitInputPixels: false` here on purpose: sharp would otherwise throw its own untyped
 * "exceeds pixel limit" error from metadata(); this function compares the declared size itself and returns
 * a typed `too-many-pixels` naming the numbers.
 */
export async function probeHeader(
  source: Buffer,
  detected: DecodableFormat,
  limits: SourceLimits,
): Promise<ProbeResult> {
  let format = detected;
  if (detected === 'HEIF') {
    // A generic HEIF brand names no codec; the item types do. Checked before libheif parses anything:
    // sharp's prebuilt libheif decodes AV1 only, HEVC ("HEIC") needs a patent-licensed decoder it does not ship.
    const codec = heifCodec(source);
    if (codec === 'hevc') {
      return imageFailure(
        'unsupported-format',
        'HEIC (HEVC-coded HEIF) images are not supported; use JPEG, PNG, WebP or AVIF',
      );
    }
    if (codec === 'av1') format = 'AVIF';
  }
  let metadata: sharp.Metadata;
  try {
    metadata = await sharp(source, { limitInputPixels: false }).metadata();
  } catch (error) {
    const message = describeError(error);
    return imageFailure('corrupt-image', `The ${format} header could not be read: ${message}`);
  }
  const { width, height } = metadata.autoOrient;
  if (!(width > 0 && height > 0)) {
    return imageFailure(
      'corrupt-image',
      `The ${format} header declares no usable dimensions (${width}x${height})`,
    );
  }
  const pages = metadata.pages ?? 1;
  const pixels = width * height * pages;
  if (pixels > limits.maxSourcePixels) {
    const frames = pages > 1 ? ` x ${pages} pages` : '';
    return imageFailure(
      'too-many-pixels',
      `The ${format} declares ${width}x${height}${frames} = ${pixels} pixels; the limit is ${limits.maxSourcePixels} (MAX_SOURCE_PIXELS)`,
    );
  }
  return { ok: true, header: { format, width, height, pages, hasAlpha: metadata.hasAlpha } };
}
