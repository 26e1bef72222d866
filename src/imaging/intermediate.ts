import sharp from 'sharp';
import { decodeFailure } from './decodeFailure';
import { failure, type Failure } from '../domain/failure';
import { rawTiffHeaderLength, writeRawTiffHeader } from './heif/rawTiff';
import { fitInside, largestFit } from './fit';
import { decodeOptions, encodeDerivative, openSource } from './renderDerivative';
import type { Box, DecodableFormat, RenderResult, SourceLimits } from './types';
import { assertRenderArguments } from './validateArguments';

/**
 * Decode once: one step decodes the source, orients it, converts it to 8-bit sRGB and shrinks it to the
 * largest size the plan needs; each size then starts from those pixels instead of decoding the source again.
 */

export { fitInside, largestFit } from './fit';

/** What a size needs to know about the source it never reads. */
export interface IntermediateSource {
  format: DecodableFormat;
  /** As displayed (after orientation). */
  width: number;
  height: number;
  hasAlpha: boolean;
}

export interface Intermediate {
  /** Uncompressed 8-bit sRGB TIFF (RGB or RGBA), oriented; 3-4 bytes per pixel plus a small header. */
  data: Buffer;
  width: number;
  height: number;
  source: IntermediateSource;
}

export type IntermediateResult = { ok: true; intermediate: Intermediate } | Failure;

/**
 * Whether decoding once pays for a source format. JPEG does not: libjpeg's shrink-on-load (DCT scaling)
 * makes each size's own decode a fraction of a full decode, so an intermediate would add its write, reads
 * and a serial step on the critical path for little CPU (`npm run bench` prints both paths). Everything
 * else decodes the whole source per size: PNG/GIF/TIFF fully, WebP nearly (its scaled decode still
 * entropy-decodes the whole file), and HEIC/AVIF are the most expensive decodes of all.
 */
export function decodeOncePays(format: DecodableFormat): boolean {
  return format !== 'JPEG';
}

/**
 * Decodes `source` once into the intermediate for `boxes`: the same checks and typed outcomes as
 * `renderDerivative` (limits before the decode), then orient, sRGB, and shrink to the largest fit.
 */
export async function prepareIntermediate(
  source: Buffer,
  boxes: readonly Box[],
  limits: SourceLimits,
): Promise<IntermediateResult> {
  for (const box of boxes) assertRenderArguments(source, box, limits);
  if (boxes.length === 0) throw new TypeError('Expected at least one box for boxes but received none');
  const opened = await openSource(source, limits, boxes);
  if (!opened.ok) return opened;
  const { header, pixels } = opened.opened;
  const target = largestFit(header.width, header.height, boxes);
  let raw: { data: Buffer; info: sharp.OutputInfo };
  try {
    raw = await sharp(pixels, decodeOptions(limits, 'error'))
      .autoOrient()
      .resize({ width: target.width, height: target.height, fit: 'fill' })
      .toColourspace('srgb')
      .raw({ depth: 'uchar' })
      .toBuffer({ resolveWithObject: true });
  } catch (error) {
    return decodeFailure(header, 'decode', error);
  }
  const { width, height, channels } = raw.info;
  if (channels !== 3 && channels !== 4) {
    return failure('corrupt-image', `The ${header.format} decoded to ${channels} channels`, header);
  }
  const layout = { width, height, channels } as const;
  const headerLength = rawTiffHeaderLength(layout);
  const data = Buffer.alloc(headerLength + raw.data.length);
  writeRawTiffHeader(data, layout);
  raw.data.copy(data, headerLength);
  return {
    ok: true,
    intermediate: {
      data,
      width,
      height,
      source: {
        format: header.format,
        width: header.width,
        height: header.height,
        hasAlpha: header.hasAlpha,
      },
    },
  };
}

/**
 * One derivative from an intermediate: resized to exactly the dimensions a render from the source would have
 * (`fitInside` of the source's displayed size), then encoded by the source format's rules. An intermediate
 * that sharp cannot read is `corrupt-image` (the caller may fall back to the source).
 */
export async function renderFromIntermediate(
  intermediate: Buffer,
  source: IntermediateSource,
  box: Box,
): Promise<RenderResult> {
  const target = fitInside(source.width, source.height, box);
  let stored: sharp.Metadata;
  try {
    stored = await sharp(intermediate).metadata();
  } catch (error) {
    return decodeFailure({ format: 'TIFF' }, 'header', error);
  }
  if (stored.width < target.width || stored.height < target.height) {
    // Prepared for a smaller plan: enlarging it would be a quality bug, never a derivative.
    throw new RangeError(
      `Expected an intermediate of at least ${target.width}x${target.height} but received ${stored.width}x${stored.height}`,
    );
  }
  const pipeline = sharp(intermediate, { failOn: 'error' }).resize({
    width: target.width,
    height: target.height,
    fit: 'fill',
  });
  return encodeDerivative(pipeline, source);
}
