/**
 * The clean aperture (`clap`) handed to libheif as nothing, so the crop is made after the decode.
 *
 * Why: libheif 1.23 (libheif-js' build) checks the CROPPED size against a limit it computes from the crop
 * itself and fails every image with a `clap` ("Security limit exceeded: Image size 1200x800 exceeds the
 * maximum image size 308096"; strukturag/libheif#1856, fixed upstream by PR #1895). Raising the limit or
 * skipping transformations does not avoid it. libheif skips a `free` box among the properties, so a copy of
 * the file whose `clap` boxes are renamed `free` decodes the whole (rotated, mirrored) image, and the decoder
 * thread copies out the rectangle `describePrimaryImage` located (`cleanAperture`), before any box-shrink, so
 * the shrink's blocks start at the aperture's corner and the crop is exact at every shrink (heicWorker.ts).
 */
import { readHeifContainer } from './container';

/**
 * A copy of `source` with every `clap` property box renamed `free` (same length: no offset moves), in an
 * ArrayBuffer of its own (never Node's shared pool), so the decoder thread can be handed it by transfer.
 */
export function withoutCleanAperture(source: Buffer): Buffer {
  const copy = Buffer.allocUnsafeSlow(source.length);
  source.copy(copy);
  for (const box of readHeifContainer(source).properties) {
    if (box.type === 'clap') copy.write('free', box.start + 4, 'latin1');
  }
  return copy;
}
