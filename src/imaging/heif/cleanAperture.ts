/**
 * The clean aperture (`clap`) handed to libheif as nothing, so the crop is made after the decode.
 *
 * Why: libheif 1.23 (libheif-js' build) checks the CROPPED size against a limit it computes from the crop
 * itself and fails every image with a `clap` ("Security limit exceeded: Image size 1200x800 exceeds the
 * maximum image size 308096"; strukturag/libheif#1856, fixed upstream by PR #1895). Raising the limit or
 * skipping transformations does not avoid it. libheif skips a `free` box among the properties, so a copy of
 * the file whose `clap` boxes are renamed `free` decodes the whole (rotated, mirrored) image, and
 * `cropCleanAperture` cuts out the rectangle `describePrimaryImage` located (`cleanAperture`).
 */
import sharp from 'sharp';
import { readHeifContainer } from './container';
import type { CleanAperture } from './primaryImage';

/** A copy of `source` with every `clap` property box renamed `free` (same length: no offset moves). */
export function withoutCleanAperture(source: Buffer): Buffer {
  const copy = Buffer.from(source);
  for (const box of readHeifContainer(source).properties) {
    if (box.type === 'clap') copy.write('free', box.start + 4, 'latin1');
  }
  return copy;
}

/** Size in pixels of the frame the decoder gives once box-shrunk by `shrink` (rounded up, as the worker does). */
export function shrunkFrame(aperture: CleanAperture, shrink: number): { width: number; height: number } {
  return { width: Math.ceil(aperture.frameWidth / shrink), height: Math.ceil(aperture.frameHeight / shrink) };
}

/**
 * Cuts the clean aperture out of interleaved 8-bit pixels of the frame, shrunk by `shrink`: the rectangle's
 * corner divided by `shrink` (rounded down) and `width` x `height` (the displayed size shrunk, rounded up),
 * kept inside the frame. Returns `headerLength` free bytes followed by the cropped pixels.
 */
export async function cropCleanAperture(
  frame: Buffer,
  aperture: CleanAperture,
  shrink: number,
  crop: { width: number; height: number; channels: 3 | 4; headerLength: number },
): Promise<Buffer> {
  const { width: frameWidth, height: frameHeight } = shrunkFrame(aperture, shrink);
  const left = Math.min(Math.floor(aperture.left / shrink), frameWidth - crop.width);
  const top = Math.min(Math.floor(aperture.top / shrink), frameHeight - crop.height);
  const pixels = await sharp(frame, {
    raw: { width: frameWidth, height: frameHeight, channels: crop.channels },
  })
    .extract({ left, top, width: crop.width, height: crop.height })
    .raw()
    .toBuffer();
  return Buffer.concat([Buffer.alloc(crop.headerLength), pixels]);
}
