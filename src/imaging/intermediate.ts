import sharp, { type ResizeOptions } from 'sharp';
import { decodeFailure } from './decodeFailure';
import { decodeOptions } from './decodeSource';
import { failure, type Failure } from '../domain/failure';
import type { SizeSpec } from '../domain/types';
import { rawTiffHeaderLength, writeRawTiffHeader } from './heif/rawTiff';
import { intermediateSize, resizeFromIntermediate, smartCropPlan } from './geometry';
import { openSource } from './openSource';
import { smartCrop } from './smartCrop';
import { encodeRendition, type EncodeRaw, encodeRaw } from './renderRendition';
import type { DecodableFormat, RawPixels, RenditionResult, SourceLimits } from './types';
import { assertRenditionArguments } from './validateArguments';

/**
 * Decode once: one step decodes the source, orients it, converts it to 8-bit sRGB and shrinks it to the
 * scale the most demanding rendition of the plan needs; each label then starts from those pixels instead of
 * decoding the source again, and renders all its formats from them.
 */

/** What a rendition needs to know about the source it never reads. */
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
 * Decodes `source` once into the intermediate for the renditions `specs`: the same checks and typed outcomes
 * as `renderRendition` (limits before the decode), then orient, sRGB, and shrink to `intermediateSize` (the
 * largest scale any rendition works at: a `cover` box needs max(w/W, h/H), more than fitting inside it).
 */
export async function prepareIntermediate(
  source: Buffer,
  specs: readonly SizeSpec[],
  limits: SourceLimits,
): Promise<IntermediateResult> {
  for (const spec of specs) assertRenditionArguments(source, spec, limits);
  if (specs.length === 0) throw new TypeError('Expected at least one rendition for specs but received none');
  const opened = await openSource(source, limits, specs);
  if (!opened.ok) return opened;
  const { header, pixels } = opened.opened;
  const target = intermediateSize(specs, header.width, header.height);
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
  } finally {
    opened.opened.release(); // the decoded source is no longer needed: its decode budget goes back
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
 * Every format of one rendition from an intermediate: resized to exactly the dimensions (and, for `cover`,
 * the crop) a render from the source would have, then encoded by the same rules as `renderRendition`. An
 * intermediate that sharp cannot read is `corrupt-image` (the caller may fall back to the source); one too
 * small for `spec` (prepared for another plan) throws `RangeError`, since enlarging would be a quality bug.
 */
export async function renderRenditionFromIntermediate(
  intermediate: Buffer,
  source: IntermediateSource,
  spec: SizeSpec,
  encode: EncodeRaw = encodeRaw,
): Promise<RenditionResult> {
  let stored: sharp.Metadata;
  try {
    stored = await sharp(intermediate).metadata();
  } catch (error) {
    return decodeFailure({ format: 'TIFF' }, 'header', error);
  }
  const dimensions = { width: stored.width, height: stored.height };
  const smart = smartCropPlan(spec, source, dimensions);
  const resize: ResizeOptions =
    smart === undefined ? resizeFromIntermediate(spec, source, dimensions) : { ...smart.extent, fit: 'fill' };
  let pixels: RawPixels;
  try {
    const { data, info } = await sharp(intermediate, { failOn: 'error' })
      .resize(resize)
      .raw()
      .toBuffer({ resolveWithObject: true });
    pixels = { data, width: info.width, height: info.height, channels: info.channels };
  } catch (error) {
    return decodeFailure({ format: 'TIFF' }, 'decode', error);
  }
  if (smart !== undefined) pixels = await smartCrop(pixels, smart);
  return encodeRendition(pixels, spec, source, encode);
}
