import { failure, sourceTooLarge, type Failure } from '../domain/failure';
import { detectFormat } from './detectFormat';
import { intermediateSize, type RenditionGeometry } from './geometry';
import { decodeAdmission, HEIC_HELD_PER_DECODED_BYTE } from './decodeAdmission';
import { heicDecodeBytes } from './heif/decodeCost';
import { decodeHeic } from './heif/decodeHeic';
import { probeHeader, type SourceHeader } from './probeHeader';
import type { SourceLimits } from './types';

/** A source that passed every check before the decode, ready for sharp. */
export interface OpenedSource {
  header: SourceHeader;
  /** What sharp reads: the upload itself, or for HEIC the decoded pixels as an uncompressed TIFF. */
  pixels: Buffer;
  /**
   * HEIC only: the size of the decoded TIFF, oriented. The header's size, or a box-shrunk copy of it (see
   * `heicShrink`) when the renditions need far fewer pixels; either way a render resizes it with
   * `resizeFromIntermediate`, so the output has the size and crop a full-size decode would give.
   */
  decoded?: { width: number; height: number };
  /**
   * Gives back the decode memory budget the decoded pixels still hold (HEIC: `HEIC_HELD_PER_DECODED_BYTE`
   * times their size, from the decode's end); nothing for other formats. Call it once sharp is done with
   * `pixels`, on every path; later calls do nothing.
   */
  release: () => void;
}

const NOTHING_HELD = (): void => undefined;

/**
 * The checks every render starts with, cheapest first: byte length, magic bytes, header (pixel budget); then,
 * for HEIC only, the decode itself (libheif in WebAssembly, in a worker thread), whose output sharp reads
 * like any other source. Problems with the file are typed failures (`too-large`, `not-an-image`,
 * `unsupported-format`, `corrupt-image`, `too-many-pixels`).
 */
export async function openSource(
  source: Buffer,
  limits: SourceLimits,
  /**
   * The renditions the pixels will be resized for: a HEIC decode hands over a box-shrunk copy when their
   * `intermediateSize` (a `cover` box needs max(w/W, h/H) of the source, more than fitting inside it) is at
   * least 4 times smaller than the image.
   */
  specs: readonly RenditionGeometry[],
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
  if (header.heif === undefined)
    return { ok: true, opened: { header, pixels: source, release: NOTHING_HELD } };
  const { heif } = header;
  // Admitted against the process's decode memory budget first (decodeAdmission.ts): concurrent activities wait.
  // The reservation then shrinks to what the decoded pixels and sharp's work on them hold, until `release`.
  const reservation = await decodeAdmission().reserve(heicDecodeBytes(heif.decode));
  let heic: Awaited<ReturnType<typeof decodeHeic>>;
  try {
    heic = await decodeHeic(source, heif, {
      maxPixels: limits.maxSourcePixels,
      ...(specs.length === 0 ? {} : { shrinkFor: intermediateSize(specs, header.width, header.height) }),
    });
  } catch (error) {
    reservation.release();
    throw error;
  }
  if (!heic.ok) {
    reservation.release();
    return heic;
  }
  const { tiff, width, height } = heic.decoded;
  reservation.shrinkTo(tiff.length * HEIC_HELD_PER_DECODED_BYTE);
  return {
    ok: true,
    opened: { header, pixels: tiff, decoded: { width, height }, release: () => reservation.release() },
  };
}
