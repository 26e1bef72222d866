import sharp, { type OutputInfo, type ResizeOptions } from 'sharp';
import type { SizeSpec } from '../domain/types';
import { ImageResourceError } from '../domain/errors';
import { decodeFailure, describeError } from './decodeFailure';
import { decodeStrictly } from './decodeSource';
import { encodeAs } from './encode';
import { resizeFromIntermediate, resizeOptions, smartCropPlan } from './geometry';
import { smartCrop } from './smartCrop';
import { openSource, type OpenedSource } from './openSource';
import { resolveFormats } from './outputEncoding';
import { isResourceExhaustion } from './resourceExhaustion';
import { usesTransparency, withoutAlpha } from './transparency';
import type {
  DecodableFormat,
  FormatResult,
  OutputEncoding,
  RawPixels,
  RenderedSource,
  RenditionResult,
  SourceLimits,
} from './types';
import { assertRenditionArguments } from './validateArguments';

/** Encodes resized raw pixels into one output format; the seam a test uses to make one format fail. */
export type EncodeRaw = (
  pixels: RawPixels,
  encoding: OutputEncoding,
  quality: number | undefined,
) => Promise<{ data: Buffer; info: OutputInfo }>;

/** The production encoder: sharp on the raw pixels, with the measured settings of encoderSettings.ts. */
export const encodeRaw: EncodeRaw = (pixels, encoding, quality) => {
  const { data, width, height, channels } = pixels;
  return encodeAs(sharp(data, { raw: { width, height, channels } }), encoding, quality).toBuffer({
    resolveWithObject: true,
  });
};

/**
 * Decode -> auto-orient -> resize (the rendition's fit/crop) -> 8-bit sRGB raw pixels, ONCE per rendition.
 * No metadata is kept (sharp's default): EXIF, GPS, XMP, IPTC and the ICC profile are all dropped; pixels are
 * converted to sRGB first, and untagged images are sRGB by the web's definition.
 * A HEIC's decoded pixels (possibly a box-shrunk copy) are resized like an intermediate's: to exactly the
 * size and crop computed from the header's full dimensions, never from the copy's own rounded ratio.
 */
async function resizeToRaw(opened: OpenedSource, spec: SizeSpec, limits: SourceLimits): Promise<RawPixels> {
  const { header, pixels: source, decoded: stored } = opened;
  const smart = smartCropPlan(spec, header, stored);
  const resize: ResizeOptions =
    smart !== undefined
      ? { ...smart.extent, fit: 'fill' }
      : stored === undefined
        ? resizeOptions(spec, header.width, header.height)
        : resizeFromIntermediate(spec, header, stored);
  const { data, info } = await decodeStrictly(source, header.format, limits, (decoded) =>
    decoded.resize(resize).toColourspace('srgb').raw().toBuffer({ resolveWithObject: true }),
  );
  const pixels = { data, width: info.width, height: info.height, channels: info.channels };
  return smart === undefined ? pixels : smartCrop(pixels, smart);
}

/** sharp's wording (src/common.cc `AssertImageTypeDimensions`) when the output exceeds the format's limit. */
const TOO_LARGE_FOR_FORMAT = /too large for the \w+ format/i;

async function encodeOne(
  pixels: RawPixels,
  encoding: OutputEncoding,
  quality: number | undefined,
  encode: EncodeRaw,
): Promise<FormatResult> {
  try {
    const { data, info } = await encode(pixels, encoding, quality);
    const { format, contentType, extension } = encoding;
    return {
      ok: true,
      derivative: { data, width: info.width, height: info.height, format, contentType, extension },
    };
  } catch (error) {
    const message = describeError(error);
    // Memory or threads ran out: the same pixels encode on a retry, so the whole label is retried.
    if (isResourceExhaustion(message)) {
      throw new ImageResourceError(
        `The ${encoding.format} encoder ran out of memory or threads (transient): ${message}`,
      );
    }
    // sharp's "Processed image is too large for the WebP/HEIF format": a fact about these pixels and this
    // format, the same on every retry (so not `internal`, which a backfill would re-drive forever).
    const code = TOO_LARGE_FOR_FORMAT.test(message) ? 'too-large-for-format' : 'internal';
    return {
      ok: false,
      format: encoding.format,
      error: { code, message: `The ${encoding.format} encoder failed: ${message}` },
    };
  }
}

/**
 * Encodes resized pixels into every format `spec` asks for, one after another (the label's CPU stays on the
 * threads sharp.concurrency gave it). `source` formats resolve per docs/design.md: JPEG/PNG/WebP keep theirs;
 * others become PNG only if the resized pixels really use transparency (libvips decodes every GIF with an
 * alpha band), otherwise JPEG. Shared by the render from the source and the one from an intermediate.
 */
export async function encodeRendition(
  pixels: RawPixels,
  spec: SizeSpec,
  source: RenderedSource & { format: DecodableFormat },
  encode: EncodeRaw,
): Promise<RenditionResult> {
  const transparent = usesTransparency(pixels.data, pixels.channels);
  const encodings = resolveFormats(spec.formats, source.format, transparent);
  const outputs: FormatResult[] = [];
  for (const encoding of encodings) {
    // libwebp drops an all-opaque alpha by itself; AVIF would store it as a second AV1 image, so it goes here.
    const input = encoding.format === 'avif' && !transparent ? withoutAlpha(pixels) : pixels;
    outputs.push(await encodeOne(input, encoding, spec.quality, encode));
  }
  const { format, width, height, hasAlpha } = source;
  return { ok: true, source: { format, width, height, hasAlpha }, outputs };
}

/**
 * Every format of one rendition (`spec`: box, fit, crop position, formats, quality) from ONE decode: the
 * source (for HEIC, libheif's decoded pixels) is decoded and resized once to raw pixels, and each format is
 * encoded from those. A failing format is its own `{ ok: false, format }` result beside the others. Problems
 * with the file are a typed failure for the whole rendition; invalid arguments (caller bugs) throw, and so
 * does running out of memory or threads (`ImageResourceError`, transient: the activity lets Durable retry it).
 */
export async function renderRendition(
  source: Buffer,
  spec: SizeSpec,
  limits: SourceLimits,
  encode: EncodeRaw = encodeRaw,
): Promise<RenditionResult> {
  assertRenditionArguments(source, spec, limits);
  const opened = await openSource(source, limits, [spec]);
  if (!opened.ok) return opened;
  const { header } = opened.opened;

  let pixels: RawPixels;
  try {
    pixels = await resizeToRaw(opened.opened, spec, limits);
  } catch (error) {
    // libvips reports decode problems as rejected promises: facts about the file, unless it ran out of memory.
    return decodeFailure(
      { format: header.format, width: header.width, height: header.height },
      'decode',
      error,
    );
  } finally {
    opened.opened.release(); // the decoded source is no longer needed: its decode budget goes back
  }
  return encodeRendition(pixels, spec, header, encode);
}
