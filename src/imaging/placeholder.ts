import sharp from 'sharp';
import type { Failure } from '../domain/failure';
import type { Placeholder } from '../domain/types';
import { decodeFailure } from './decodeFailure';
import { decodeStrictly } from './decodeSource';
import { FLATTEN_BACKGROUND } from './encoderSettings';
import { openSource } from './openSource';
import type { SourceLimits } from './types';

/** ThumbHash encodes at most 100x100 pixels; its author's examples use exactly this box. */
export const PLACEHOLDER_EDGE = 100;

export type PlaceholderResult = { ok: true; placeholder: Placeholder } | Failure;

/*
 * `thumbhash` (Evan Wallace, MIT, no dependencies, ~10 KB): the hash the peers use (AWS Serverless Image
 * Handler, imgproxy requests). Compared with BlurHash it keeps the aspect ratio and alpha and needs no
 * component-count tuning, in ~25 bytes. It ships as an ES module only, so it is loaded with import().
 */
/** The part of `thumbhash` used here (its own typings describe it; this keeps the import lazy). */
interface ThumbHashEncoder {
  rgbaToThumbHash: (w: number, h: number, rgba: ArrayLike<number>) => Uint8Array;
}
let thumbhashModule: Promise<ThumbHashEncoder> | undefined;
function loadThumbhash(): Promise<ThumbHashEncoder> {
  thumbhashModule ??= import('thumbhash');
  return thumbhashModule;
}

function hex(value: number): string {
  return Math.max(0, Math.min(255, Math.round(value)))
    .toString(16)
    .padStart(2, '0');
}

/**
 * The placeholder of a source: a ThumbHash (base64) of the whole picture and its dominant colour
 * (`#rrggbb`), from one tiny decode. The resize straight after the decode lets libvips shrink on load (JPEG
 * DCT scaling by 1/8, WebP scaled decode), so a 24 MP JPEG costs a fraction of a full decode.
 * The dominant colour is sharp's `stats().dominant`: the most populated bin of a 16x16x16 RGB histogram,
 * reported as that bin's centre, so each channel is within 8 of the true colour. It is taken with any
 * transparency flattened onto white, as a page shows it. Problems with the file are a typed failure, like
 * the sizes'; running out of memory throws `ImageResourceError`.
 */
export async function makePlaceholder(source: Buffer, limits: SourceLimits): Promise<PlaceholderResult> {
  const opened = await openSource(source, limits, [
    { fit: 'inside', width: PLACEHOLDER_EDGE, height: PLACEHOLDER_EDGE },
  ]);
  if (!opened.ok) return opened;
  const { header, pixels } = opened.opened;
  let tiny: Tiny;
  try {
    tiny = await decodeStrictly(pixels, header.format, limits, shrinkToTiny);
  } catch (error) {
    return decodeFailure(
      { format: header.format, width: header.width, height: header.height },
      'decode',
      error,
    );
  } finally {
    opened.opened.release(); // the decoded source is no longer needed: its decode budget goes back
  }
  return placeholderOf(tiny);
}

/**
 * The same placeholder from a run's intermediate (the source decoded once, oriented, sRGB): a decode-once run
 * never decodes the source again for it. An unreadable intermediate is `corrupt-image` (the caller may fall
 * back to the source).
 */
export async function makePlaceholderFromIntermediate(intermediate: Buffer): Promise<PlaceholderResult> {
  let tiny: Tiny;
  try {
    tiny = await shrinkToTiny(sharp(intermediate, { failOn: 'error' }));
  } catch (error) {
    return decodeFailure({ format: 'TIFF' }, 'decode', error);
  }
  return placeholderOf(tiny);
}

type Tiny = { data: Buffer; info: sharp.OutputInfo };

/** At most 100x100 RGBA (see atLeastMinSide for the least): the resize straight after the decode is what lets libvips shrink on load. */
function shrinkToTiny(decoded: sharp.Sharp): Promise<Tiny> {
  return decoded
    .resize({ width: PLACEHOLDER_EDGE, height: PLACEHOLDER_EDGE, fit: 'inside', withoutEnlargement: true })
    .toColourspace('srgb')
    .ensureAlpha()
    .raw()
    .toBuffer({ resolveWithObject: true });
}

/**
 * The fewest pixels per side ThumbHash is given: its encoder fits up to 7 cosine terms per axis (`l_limit` 7 in
 * thumbhash.js, luminance; 5 with alpha; at least 3 for chroma), and a DCT over fewer samples than terms
 * aliases the higher terms onto the picture's mean: a 1x1 red pixel decoded to a greyish pink and a 100x1 strip
 * was off too (each side needs at least 4 samples for the mean, 7 for every term to be distinct).
 */
export const PLACEHOLDER_MIN_SIDE = 7;

/**
 * `tiny` with each side at least PLACEHOLDER_MIN_SIDE (and at most PLACEHOLDER_EDGE): enlarged by a whole
 * factor with nearest-neighbour, so every pixel is repeated k x k times and the colours, their mean and the
 * aspect ratio stay exact. A side clamped at PLACEHOLDER_EDGE (sources longer than 100:7) changes the aspect,
 * which ThumbHash cannot carry beyond 7:1 anyway.
 */
async function atLeastMinSide(tiny: Tiny): Promise<Tiny> {
  const { width, height } = tiny.info;
  if (Math.min(width, height) >= PLACEHOLDER_MIN_SIDE) return tiny;
  const factor = Math.ceil(PLACEHOLDER_MIN_SIDE / Math.min(width, height));
  return sharp(tiny.data, { raw: { width, height, channels: 4 } })
    .resize({
      width: Math.min(PLACEHOLDER_EDGE, width * factor),
      height: Math.min(PLACEHOLDER_EDGE, height * factor),
      fit: 'fill',
      kernel: 'nearest',
    })
    .raw()
    .toBuffer({ resolveWithObject: true });
}

/** ThumbHash and dominant colour of tiny RGBA pixels. */
async function placeholderOf(shrunk: Tiny): Promise<PlaceholderResult> {
  const tiny = await atLeastMinSide(shrunk);
  const { width, height } = tiny.info;
  const { rgbaToThumbHash } = await loadThumbhash();
  const hash = rgbaToThumbHash(width, height, tiny.data);
  // stats() reads its input, not the pipeline's output: the flattened pixels are materialised first.
  const opaque = await sharp(tiny.data, { raw: { width, height, channels: 4 } })
    .flatten({ background: FLATTEN_BACKGROUND })
    .raw()
    .toBuffer();
  const { dominant } = await sharp(opaque, { raw: { width, height, channels: 3 } }).stats();
  return {
    ok: true,
    placeholder: {
      thumbhash: Buffer.from(hash).toString('base64'),
      dominantColor: `#${hex(dominant.r)}${hex(dominant.g)}${hex(dominant.b)}`,
    },
  };
}
