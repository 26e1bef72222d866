import sharp, { type OutputInfo, type Sharp, type SharpOptions } from 'sharp';
import { detectFormat } from './detectFormat';
import { fitInside, largestFit } from './fit';
import { encodeAs } from './encode';
import { decodeFailure, describeError } from './decodeFailure';
import { failure, sourceTooLarge, type Failure } from '../domain/failure';
import { decodeAdmission, HEIC_DECODE_BYTES_PER_PIXEL } from './decodeAdmission';
import { decodeHeic } from './heif/decodeHeic';
import { withoutHeaderJunk } from './jpegHeaderJunk';
import { chooseEncoding, keptEncoding } from './outputEncoding';
import { DECODED_PAGE, probeHeader, type SourceHeader } from './probeHeader';
import { usesTransparency } from './transparency';
import type { Box, OutputEncoding, RenderResult, SourceLimits } from './types';
import { assertRenderArguments } from './validateArguments';

/**
 * How strict libvips is about damaged pixel data (sharp's `failOn`: none < truncated < error < warning).
 * JPEG is decoded at `warning`: libjpeg reports data that runs out before the last MCU row only as
 * *warnings* ("Corrupt JPEG data: premature end of data segment" when an end-of-image marker or any other
 * marker cuts the entropy-coded data short, or when the frame header declares more rows than the data holds);
 * it then fills the missing rows with flat grey and `error` lets that through as a success. Its one harmless
 * warning (extraneous bytes before a marker) is handled in `encodeDecoded`. Other formats stay at `error`:
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
 * Decode -> auto-orient -> fit inside the box (never enlarging) -> sRGB 8-bit. No metadata is kept (sharp's
 * default): EXIF, GPS, XMP, IPTC and the ICC profile are all dropped; pixels are converted to sRGB first, and
 * untagged images are sRGB by the web's definition, so the profile would only add bytes to every thumbnail.
 * `resize` is what lets libvips shrink-on-load (JPEG DCT scaling, WebP scaled decode); nothing here needs
 * the full-resolution pixels, so nothing forces a full-size decode before it.
 */
function resizePipeline(source: Buffer, box: Box, limits: SourceLimits, failOn: FailOn): Sharp {
  return sharp(source, decodeOptions(limits, failOn))
    .autoOrient()
    .resize({ width: box.width, height: box.height, fit: 'inside', withoutEnlargement: true })
    .toColourspace('srgb');
}

/**
 * A HEIC's decoded pixels may arrive box-shrunk (see `heicShrink`): they are resized to exactly the size a
 * full-size decode would give (`fitInside` of the displayed size), never from the shrunk copy's own ratio.
 */
function heicResizePipeline(pixels: Buffer, header: SourceHeader, box: Box, limits: SourceLimits): Sharp {
  const target = fitInside(header.width, header.height, box);
  return sharp(pixels, decodeOptions(limits, 'error'))
    .resize({ width: target.width, height: target.height, fit: 'fill' })
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

async function encodeAt(
  source: Buffer,
  box: Box,
  limits: SourceLimits,
  header: SourceHeader,
  failOn: FailOn,
): Promise<Encoded> {
  const pipeline =
    header.heif === undefined
      ? resizePipeline(source, box, limits, failOn)
      : heicResizePipeline(source, header, box, limits);
  const kept = keptEncoding(header.format);
  return kept !== undefined ? encodeKept(pipeline, kept) : encodeByTransparency(pipeline, header);
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
 * Decodes, resizes and encodes. A JPEG is decoded at `failOn: 'warning'` after dropping the extraneous bytes
 * between its header segments (where phone JPEGs carry them; see jpegHeaderJunk.ts), so a file whose data
 * stops before its last row (cut and re-terminated with FF D9, or a frame header declaring more rows than the
 * data holds) is `corrupt-image` instead of a derivative with grey rows. Extraneous bytes after the first
 * scan (between the scans of a progressive JPEG) cannot be cut out without decoding the entropy-coded data;
 * when they are all the strict decode objected to, the file is decoded again at `error`, as before.
 */
async function encodeDecoded(
  source: Buffer,
  box: Box,
  limits: SourceLimits,
  header: SourceHeader,
): Promise<Encoded> {
  if (header.format !== 'JPEG') return encodeAt(source, box, limits, header, 'error');
  try {
    return await encodeAt(withoutHeaderJunk(source), box, limits, header, 'warning');
  } catch (error) {
    if (!onlyExtraneousBytes(error)) throw error;
    return encodeAt(source, box, limits, header, 'error');
  }
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
  /** The boxes the pixels will be resized into: a HEIC decode may then hand over a box-shrunk copy. */
  boxes: readonly Box[],
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
  const { heif } = header;
  // Admitted against the process's decode memory budget first (decodeAdmission.ts): concurrent activities wait.
  const heic = await decodeAdmission().run(
    heif.storedWidth * heif.storedHeight * HEIC_DECODE_BYTES_PER_PIXEL,
    () =>
      decodeHeic(source, heif, {
        maxPixels: limits.maxSourcePixels,
        shrinkFor: largestFit(header.width, header.height, boxes),
      }),
  );
  if (!heic.ok) return heic;
  return { ok: true, opened: { header, pixels: heic.decoded.tiff } };
}

function described(
  { data, info, encoding }: Encoded,
  header: Pick<SourceHeader, 'format' | 'width' | 'height' | 'hasAlpha'>,
): RenderResult {
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
 * Encodes a resize pipeline of already-decoded pixels (an intermediate) as the derivative of a source
 * described by `header`: its own format for JPEG/PNG/WebP, otherwise JPEG or (when the pixels use
 * transparency) PNG. libvips errors are facts about the pixels (`corrupt-image`), unless it ran out of memory.
 */
export async function encodeDerivative(
  pipeline: Sharp,
  header: Pick<SourceHeader, 'format' | 'width' | 'height' | 'hasAlpha'>,
): Promise<RenderResult> {
  const kept = keptEncoding(header.format);
  try {
    const encoded =
      kept !== undefined ? await encodeKept(pipeline, kept) : await encodeByTransparency(pipeline, header);
    return described(encoded, header);
  } catch (error) {
    return decodeFailure(
      { format: header.format, width: header.width, height: header.height },
      'decode',
      error,
    );
  }
}

/**
 * One derivative of `source` fitting inside `box`: the pixel work of a `resize-{label}` activity that reads
 * the source itself. Checks run cheapest first: byte length, magic bytes, header (pixel budget), and only
 * then the decode. Every problem with the file is a typed outcome; invalid arguments (caller bugs) throw, and
 * so does running out of memory or threads (`ImageResourceError`, transient: the activity must let Durable
 * retry it).
 */
export async function renderDerivative(
  source: Buffer,
  box: Box,
  limits: SourceLimits,
): Promise<RenderResult> {
  assertRenderArguments(source, box, limits);
  const opened = await openSource(source, limits, [box]);
  if (!opened.ok) return opened;
  const { header, pixels } = opened.opened;
  let encoded: Encoded;
  try {
    encoded = await encodeDecoded(pixels, box, limits, header);
  } catch (error) {
    // libvips reports decode problems as rejected promises: facts about the file, unless it ran out of memory.
    return decodeFailure(
      { format: header.format, width: header.width, height: header.height },
      'decode',
      error,
    );
  }
  return described(encoded, header);
}
