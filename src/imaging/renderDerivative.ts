import sharp, { type OutputInfo, type Sharp, type SharpOptions } from 'sharp';
import { detectFormat } from './detectFormat';
import { encodeAs } from './encode';
import { decodeHeic } from './heif/decodeHeic';
import { decodeFailure } from './decodeFailure';
import { failure, sourceTooLarge, type Failure } from '../domain/failure';
import { chooseEncoding, keptEncoding } from './outputEncoding';
import { DECODED_PAGE, probeHeader, type SourceHeader } from './probeHeader';
import { usesTransparency } from './transparency';
import type { Box, OutputEncoding, RenderResult, SourceLimits } from './types';
import { assertRenderArguments } from './validateArguments';

export function decodeOptions(limits: SourceLimits): SharpOptions {
  return {
    // Defence in depth: the header probe already rejected anything over the budget, and libvips enforces the
    // same limit again at decode time (sharp's own default, 268 MP, is far above what we accept).
    limitInputPixels: limits.maxSourcePixels,
    // 'error' aborts on truncated data and real decode errors (a half-uploaded file must not become a
    // half-grey derivative) but tolerates libjpeg/libpng *warnings* such as "extraneous bytes before marker",
    // which many phone and editor JPEGs trigger and which decode fine; the default 'warning' would reject them.
    failOn: 'error',
    // Top-to-bottom streaming decode: libvips holds only the rows the shrink needs, not the whole source
    // (a 90/270 degree orientation buffers the already-shrunk image, never the full-size one).
    sequentialRead: true,
    // The first frame of animated GIF/WebP and multi-page TIFF: the one frame the header budget counted.
    ...DECODED_PAGE,
  };
}

/**
 * Decode -> auto-orient -> fit inside the box (never enlarging) -> sRGB 8-bit. No metadata is kept (sharp's
 * default): EXIF, GPS, XMP, IPTC and the ICC profile are all dropped; pixels are converted to sRGB first, and
 * untagged images are sRGB by the web's definition, so the profile would only add bytes to every thumbnail.
 * `resize` is what lets libvips shrink-on-load (JPEG DCT scaling, WebP scaled decode); nothing here needs
 * the full-resolution pixels, so nothing forces a full-size decode before it.
 */
function resizePipeline(source: Buffer, box: Box, limits: SourceLimits): Sharp {
  return sharp(source, decodeOptions(limits))
    .autoOrient()
    .resize({ width: box.width, height: box.height, fit: 'inside', withoutEnlargement: true })
    .toColourspace('srgb');
}

type Encoded = { data: Buffer; info: OutputInfo; encoding: OutputEncoding };

/** JPEG/PNG/WebP sources keep their format: one pipeline from compressed input to compressed output. */
async function encodeKept(pipeline: Sharp, encoding: OutputEncoding): Promise<Encoded> {
  const { data, info } = await encodeAs(pipeline, encoding).toBuffer({ resolveWithObject: true });
  return { data, info, encoding };
}

/**
 * Other formats become PNG only if the derivative really uses transparency: GIF always decodes with an alpha
 * band (libvips' GIF loader) and TIFF/AVIF often carry an opaque one, and a photo as PNG is several times the
 * bytes of a JPEG. Resizing to raw first costs one derivative-sized buffer, not a second decode.
 */
async function encodeByTransparency(pipeline: Sharp, header: Pick<SourceHeader, 'format'>): Promise<Encoded> {
  const raw = await pipeline.raw().toBuffer({ resolveWithObject: true });
  const encoding = chooseEncoding(header.format, usesTransparency(raw.data, raw.info.channels));
  const { width, height, channels } = raw.info;
  const rawPipeline = sharp(raw.data, { raw: { width, height, channels } });
  const { data, info } = await encodeAs(rawPipeline, encoding).toBuffer({ resolveWithObject: true });
  return { data, info, encoding };
}

/** A source that passed every check before the decode, ready for sharp. */
export interface OpenedSource {
  header: SourceHeader;
  /** What sharp reads: the upload itself, or for HEIC the decoded pixels as an uncompressed TIFF. */
  pixels: Buffer;
}

/**
 * The checks every render starts with, cheapest first: byte length, magic bytes, header (pixel budget); then,
 * for HEIC only, the decode itself (libheif in WebAssembly, in a worker thread), whose output sharp reads
 * like any other source. Problems with the file are typed outcomes.
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

/**
 * Encodes a resize pipeline as the derivative of a source described by `header`: its own format for
 * JPEG/PNG/WebP, otherwise JPEG or (when the pixels use transparency) PNG. libvips errors while the
 * pipeline runs are facts about the file (`corrupt-image`), unless it ran out of memory.
 */
export async function encodeDerivative(
  pipeline: Sharp,
  header: Pick<SourceHeader, 'format' | 'width' | 'height' | 'hasAlpha'>,
): Promise<RenderResult> {
  const kept = keptEncoding(header.format);
  let encoded: Encoded;
  try {
    encoded =
      kept !== undefined ? await encodeKept(pipeline, kept) : await encodeByTransparency(pipeline, header);
  } catch (error) {
    // libvips reports decode problems as rejected promises: facts about the file, unless it ran out of memory.
    return decodeFailure(
      { format: header.format, width: header.width, height: header.height },
      'decode',
      error,
    );
  }
  const { data, info, encoding } = encoded;
  return {
    ok: true,
    derivative: {
      data,
      width: info.width,
      height: info.height,
      format: encoding.format,
      contentType: encoding.contentType,
      extension: encoding.extension,
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
 * One derivative of `source` fitting inside `box`: the pixel work of a `resize-{label}` activity that reads
 * the source itself. Every problem with the file is a typed outcome; invalid arguments (caller bugs) throw,
 * and so does running out of memory or threads (`ImageResourceError`, transient: the activity must let
 * Durable retry it).
 */
export async function renderDerivative(
  source: Buffer,
  box: Box,
  limits: SourceLimits,
): Promise<RenderResult> {
  assertRenderArguments(source, box, limits);
  const opened = await openSource(source, limits);
  if (!opened.ok) return opened;
  const { header, pixels } = opened.opened;
  return encodeDerivative(resizePipeline(pixels, box, limits), header);
}
