import type { ResizeOptions } from 'sharp';
import sharp from 'sharp';
import type { CropPosition, SizeSpec } from '../domain/types';

/** The box and crop of one rendition, as its spec asks (`fit`, `position`, `width`/`height`). */
export type RenditionGeometry = Pick<SizeSpec, 'width' | 'height' | 'fit' | 'position'>;

const SHARP_POSITION: Record<CropPosition, ResizeOptions['position']> = {
  centre: 'centre',
  attention: sharp.strategy.attention,
  entropy: sharp.strategy.entropy,
};

/**
 * The output box of a `cover` rendition for a source of `sourceWidth` x `sourceHeight` (as displayed):
 * exactly width x height when the source covers the box; otherwise (never enlarging) the largest crop of
 * the box's aspect ratio the source holds, at the source's own scale. A 200x100 source in a 150x150 box
 * gives 100x100; a 100x50 one gives 50x50; 140x160 gives 140x140.
 */
export function coverBox(
  box: { width: number; height: number },
  sourceWidth: number,
  sourceHeight: number,
): { width: number; height: number } {
  const scale = Math.min(sourceWidth / box.width, sourceHeight / box.height);
  if (scale >= 1) return { width: box.width, height: box.height };
  return {
    width: Math.max(1, Math.min(sourceWidth, Math.round(box.width * scale))),
    height: Math.max(1, Math.min(sourceHeight, Math.round(box.height * scale))),
  };
}

/**
 * sharp resize options for a rendition. `inside`: fit the box (one side may be unbounded), never enlarging.
 * `cover`: fill `coverBox(...)` exactly, cropping the overflow at `position`; since that box never exceeds
 * the source's scale, nothing is enlarged. Lanczos-3 (sharp's default kernel) throughout.
 */
export function resizeOptions(
  spec: RenditionGeometry,
  sourceWidth: number,
  sourceHeight: number,
): ResizeOptions {
  if (spec.fit === 'inside') {
    const options: ResizeOptions = { fit: 'inside', withoutEnlargement: true };
    if (spec.width !== undefined) options.width = spec.width;
    if (spec.height !== undefined) options.height = spec.height;
    return options;
  }
  if (spec.width === undefined || spec.height === undefined) {
    throw new TypeError(
      `Expected width and height for a cover rendition but received ${spec.width}x${spec.height}`,
    );
  }
  const box = coverBox({ width: spec.width, height: spec.height }, sourceWidth, sourceHeight);
  return { ...box, fit: 'cover', position: SHARP_POSITION[spec.position ?? 'centre'] };
}
