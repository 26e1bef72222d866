import sharp from 'sharp';
import { decodeFailure } from './decodeFailure';
import { failure, type Failure } from '../domain/failure';
import { HeifFormatError, readHeifContainer } from './heif/container';
import { checkHevcData } from './heif/hevcData';
import { describePrimaryImage, type HeifPrimaryImage } from './heif/primaryImage';
import type { DecodableFormat, SourceLimits } from './types';

/** What the header says, before any pixel is decoded. */
export interface SourceHeader {
  /** Detected format, refined for generic HEIF containers ("AVIF" when the payload is AV1). */
  format: DecodableFormat;
  /** Dimensions as displayed, i.e. after EXIF orientation; of one frame for animated and multi-page images. */
  width: number;
  height: number;
  /** Frames (animated GIF/WebP) or pages (TIFF) in the file; only the first is ever decoded. */
  pages: number;
  hasAlpha: boolean;
  /** HEIC only: the primary image as its container declares it, which the decode needs. */
  heif?: HeifPrimaryImage;
}

export type ProbeResult = { ok: true; header: SourceHeader } | Failure;

/**
 * The page the decode reads: the first frame of animated GIF/WebP, the first page of a multi-page TIFF.
 * Shared by the probe and the decode so the budget counts exactly the pixels that are decoded.
 */
export const DECODED_PAGE = { pages: 1, page: 0 } as const;

/**
 * Reads only the header (sharp `metadata()`: libvips opens the file lazily and decodes no pixels) and applies
 * the pixel budget to the pixels the decode will allocate: one frame, as libvips' own `limitInputPixels`
 * counts them (width x height of the image opened with `DECODED_PAGE`). Counting every frame would reject
 * a 480x270 animated GIF of 400 frames (52 MP in all) that decodes as a 0.13 MP still.
 * `limitInputPixels: false` here on purpose: sharp would otherwise throw its own untyped "exceeds pixel
 * limit" error from metadata(); this function compares the declared size itself and returns a typed
 * `too-many-pixels` naming the numbers.
 */
export async function probeHeader(
  source: Buffer,
  detected: DecodableFormat,
  limits: SourceLimits,
): Promise<ProbeResult> {
  let format = detected;
  if (detected === 'HEIC' || detected === 'HEIF') {
    const heif = probeHeifContainer(source, detected, limits);
    if (heif !== 'av1') return heif;
    format = 'AVIF'; // an AV1-coded HEIF: sharp's own libheif decodes it
  } else if (detected === 'AVIF') {
    // The brand is a claim; the primary item's type decides. An HEVC primary under an `avif` brand goes to
    // the HEIC decoder (sharp's libheif has no HEVC decoder and fails it with "bad seek"); anything else,
    // including a container our reader cannot read, stays with sharp as every AVIF does.
    if (hevcPrimaryOf(source)) {
      const heif = probeHeifContainer(source, 'HEIC', limits);
      if (heif !== 'av1') return heif;
    }
  }
  let metadata: sharp.Metadata;
  try {
    metadata = await sharp(source, { limitInputPixels: false, ...DECODED_PAGE }).metadata();
  } catch (error) {
    return decodeFailure({ format }, 'header', error);
  }
  const { width, height } = metadata.autoOrient;
  if (!(width > 0 && height > 0)) {
    return failure(
      'corrupt-image',
      `The ${format} header declares no usable dimensions (${width}x${height})`,
      { format },
    );
  }
  const pages = metadata.pages ?? 1;
  // Opened with one page, `height` is that page's; `pageHeight` is reported only when libvips stacks
  // several pages into one tall image, and is then the height of the frame that is decoded.
  const pixels = metadata.width * (metadata.pageHeight ?? metadata.height);
  if (pixels > limits.maxSourcePixels) {
    const frames = pages > 1 ? ` (first of ${pages} frames)` : '';
    return failure(
      'too-many-pixels',
      `The ${format} declares ${width}x${height}${frames} = ${pixels} pixels; the limit is ${limits.maxSourcePixels} (MAX_SOURCE_PIXELS)`,
      { format, width, height },
    );
  }
  return { ok: true, header: { format, width, height, pages, hasAlpha: metadata.hasAlpha } };
}

/** Whether the HEIF container's primary item is HEVC-coded (`hvc1`, or a grid of them); false when unreadable. */
function hevcPrimaryOf(source: Buffer): boolean {
  try {
    return describePrimaryImage(readHeifContainer(source)).codec === 'hevc';
  } catch (error) {
    if (error instanceof HeifFormatError) return false;
    throw error;
  }
}

function tooManyPixels(what: string, width: number, height: number, limits: SourceLimits): Failure {
  return failure(
    'too-many-pixels',
    `The ${what} declares ${width}x${height} = ${width * height} pixels; the limit is ${limits.maxSourcePixels} (MAX_SOURCE_PIXELS)`,
    { format: 'HEIC', width, height },
  );
}

/**
 * HEIF containers are read by our own bounded box reader (`heif/container.ts`), not by a decoder: the primary
 * item's type says whether it is HEVC (decoded here through libheif in WebAssembly) or AV1 (left to sharp),
 * and its `ispe` (or grid descriptor) gives the size the decode would allocate, checked against the budget
 * before any decoder sees the file. A grid's tile is allocated too, so it is checked as well.
 */
function probeHeifContainer(
  source: Buffer,
  detected: 'HEIC' | 'HEIF',
  limits: SourceLimits,
): ProbeResult | 'av1' {
  let primary: HeifPrimaryImage;
  try {
    const container = readHeifContainer(source);
    primary = describePrimaryImage(container);
    if (primary.codec === 'hevc') {
      checkHevcData(
        container,
        primary.itemId,
        primary.decode.images.map((image) => image.itemId),
      );
    }
  } catch (error) {
    if (!(error instanceof HeifFormatError)) throw error;
    return failure('corrupt-image', `The ${detected} container could not be read: ${error.message}`, {
      format: detected,
    });
  }
  if (primary.codec === 'av1') return 'av1';
  if (primary.codec !== 'hevc') {
    return failure(
      'unsupported-format',
      `HEIF images whose primary item is '${primary.itemType}' are not supported; use HEIC (HEVC), AVIF, JPEG, PNG or WebP`,
      { format: 'HEIF' },
    );
  }
  const { storedWidth, storedHeight, grid } = primary;
  if (storedWidth * storedHeight > limits.maxSourcePixels) {
    return tooManyPixels('HEIC', storedWidth, storedHeight, limits);
  }
  if (grid !== undefined && grid.tileWidth * grid.tileHeight > limits.maxSourcePixels) {
    return tooManyPixels('HEIC grid tile', grid.tileWidth, grid.tileHeight, limits);
  }
  // MAX_SOURCE_PIXELS limits the picture as its owner knows it (an RGBA photo is not twice the pixels): an alpha
  // plane is bounded by its image's size (decodeWork refuses a larger one), and the decode admission and timeout
  // count its pixels and coded bytes beside the image's.
  // Each coded image (a tile, an alpha plane) as its HEVC data codes it.
  const over = primary.decode.images.find((image) => image.width * image.height > limits.maxSourcePixels);
  if (over !== undefined) {
    return tooManyPixels(`HEIC ${over.role} (item ${over.itemId})`, over.width, over.height, limits);
  }
  return {
    ok: true,
    header: {
      format: 'HEIC',
      width: primary.width,
      height: primary.height,
      pages: 1,
      hasAlpha: primary.hasAlpha,
      heif: primary,
    },
  };
}
