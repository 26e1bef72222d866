import sharp, { type Sharp, type SharpOptions } from 'sharp';
import { describeError } from './decodeFailure';
import { withoutHeaderJunk } from './jpegHeaderJunk';
import { DECODED_PAGE } from './probeHeader';
import type { DecodableFormat, SourceLimits } from './types';

/**
 * How strict libvips is about damaged pixel data (sharp's `failOn`: none < truncated < error < warning).
 * JPEG is decoded at `warning`: libjpeg reports data that runs out before the last MCU row only as
 * *warnings* ("Corrupt JPEG data: premature end of data segment" when an end-of-image marker or any other
 * marker cuts the entropy-coded data short, or when the frame header declares more rows than the data holds);
 * it then fills the missing rows with flat grey and `error` lets that through as a success. Its one harmless
 * warning (extraneous bytes before a marker) is handled in `decodeStrictly`. Other formats stay at `error`:
 * truncation and decode errors fail, while warnings such as libpng's about an incorrect sRGB profile, common
 * in files that decode fine, do not.
 */
export type FailOn = 'error' | 'warning';

export function decodeOptions(limits: SourceLimits, failOn: FailOn): SharpOptions {
  return {
    // Defence in depth: the header probe already rejected anything over the budget, and libvips enforces the
    // same limit again at decode time (sharp's own default, 268 MP, is far above what we accept).
    limitInputPixels: limits.maxSourcePixels,
    failOn,
    // Top-to-bottom streaming decode: libvips holds only the rows the shrink needs, not the whole source
    // (a 90/270 degree orientation buffers the already-shrunk image, never the full-size one).
    sequentialRead: true,
    // The first frame of animated GIF/WebP and multi-page TIFF: the one frame the header budget counted.
    ...DECODED_PAGE,
  };
}

/**
 * The source as a lazy sharp pipeline: decode -> auto-orient. Every consumer appends its `resize` directly,
 * which is what lets libvips shrink-on-load (JPEG DCT scaling by 1/2-1/8, WebP scaled decode); nothing here
 * forces a full-size decode. Production code goes through `decodeStrictly`; the bench times this directly.
 */
export function decodeSource(source: Buffer, limits: SourceLimits, failOn: FailOn = 'error'): Sharp {
  return sharp(source, decodeOptions(limits, failOn)).autoOrient();
}

/** libjpeg's JWRN_EXTRANEOUS_DATA: bytes skipped before a marker, no pixel data lost. */
const EXTRANEOUS_BYTES = /extraneous bytes before marker/i;

/** Whether every libjpeg message in a failed strict decode is the harmless extraneous-bytes warning. */
function onlyExtraneousBytes(error: unknown): boolean {
  const lines = describeError(error)
    .split(/;|\n/)
    .map((line) => line.trim())
    .filter((line) => line.startsWith('VipsJpeg:'));
  return lines.length > 0 && lines.every((line) => EXTRANEOUS_BYTES.test(line));
}

/**
 * The one place the source becomes pixels (renditions and placeholder): `materialise` appends its resize and
 * output to the decoded pipeline and runs it; its promise is returned. A different input (an intermediate
 * decoded once for all sizes) is swapped in here and nowhere else.
 * A JPEG (`format` from the header probe) is decoded at `failOn: 'warning'` after dropping the extraneous
 * bytes between its header segments (where phone JPEGs carry them; see jpegHeaderJunk.ts), so a file whose
 * data stops before its last row (cut and re-terminated with FF D9, or a frame header declaring more rows than
 * the data holds) is rejected instead of giving grey rows. Extraneous bytes after the first scan (between the
 * scans of a progressive JPEG) cannot be cut out without decoding the entropy-coded data; when they are all
 * the strict decode objected to, the file is decoded again at `error`.
 * Errors: whatever `materialise` rejects with (libvips decode errors, to be mapped by `decodeFailure`).
 */
export async function decodeStrictly<T>(
  source: Buffer,
  format: DecodableFormat,
  limits: SourceLimits,
  materialise: (decoded: Sharp) => Promise<T>,
): Promise<T> {
  if (format !== 'JPEG') return materialise(decodeSource(source, limits, 'error'));
  try {
    return await materialise(decodeSource(withoutHeaderJunk(source), limits, 'warning'));
  } catch (error) {
    if (!onlyExtraneousBytes(error)) throw error;
    return materialise(decodeSource(source, limits, 'error'));
  }
}
