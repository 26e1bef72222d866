import type { ResizeOptions } from 'sharp';
import sharp from 'sharp';
import { MAX_EDGE } from '../config/sizes';
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
 * sharp resize options for a rendition. `inside`: fit the box (a missing side is `MAX_EDGE`), never enlarging.
 * `cover`: fill `coverBox(...)` exactly, cropping the overflow at `position`; since that box never exceeds
 * the source's scale, nothing is enlarged. Lanczos-3 (sharp's default kernel) throughout.
 */
export function resizeOptions(
  spec: RenditionGeometry,
  sourceWidth: number,
  sourceHeight: number,
): ResizeOptions {
  if (spec.fit === 'inside') {
    // A width-only or height-only box is bounded by MAX_EDGE on its open side, so a very long source
    // (30000x10 in a height-only box) still fits every output format (WebP's 16383, HEIF's 16384).
    return {
      fit: 'inside',
      withoutEnlargement: true,
      width: spec.width ?? MAX_EDGE,
      height: spec.height ?? MAX_EDGE,
    };
  }
  if (spec.width === undefined || spec.height === undefined) {
    throw new TypeError(
      `Expected width and height for a cover rendition but received ${spec.width}x${spec.height}`,
    );
  }
  const box = coverBox({ width: spec.width, height: spec.height }, sourceWidth, sourceHeight);
  return { ...box, fit: 'cover', position: SHARP_POSITION[spec.position ?? 'centre'] };
}

/** Stands in for the missing side of a width-only or height-only `inside` box: the longest edge every output format holds. */
const UNBOUNDED = MAX_EDGE;

/**
 * The size of a `width` x `height` image fitted inside `box` without enlarging (a missing side is
 * `MAX_EDGE`), rounded exactly as sharp does for `fit: 'inside'` (the constrained side is the box's, the other
 * is rounded from the same shrink). Renditions from an intermediate use it to match a render from the source.
 */
export function fitInside(
  width: number,
  height: number,
  box: { width?: number; height?: number },
): { width: number; height: number } {
  const boxWidth = box.width ?? UNBOUNDED;
  const boxHeight = box.height ?? UNBOUNDED;
  if (width <= boxWidth && height <= boxHeight) return { width, height };
  const horizontal = width / boxWidth;
  const vertical = height / boxHeight;
  return horizontal >= vertical
    ? { width: boxWidth, height: Math.max(1, Math.round(height / horizontal)) }
    : { width: Math.max(1, Math.round(width / vertical)), height: boxHeight };
}

/** Rounding slack so that e.g. 4000 * (150 / 4000) does not round up to 151. */
const EPSILON = 1e-9;

/**
 * The size a rendition's resize brings a `sourceWidth` x `sourceHeight` source to before any crop: for
 * `inside` its output (`fitInside`); for `cover` the source scaled by max(w/W, h/H) (at most 1: a source
 * smaller than the box is cropped at its own scale, see `coverBox`), which is more than fitting inside the box.
 */
export function renditionExtent(
  spec: RenditionGeometry,
  sourceWidth: number,
  sourceHeight: number,
): { width: number; height: number } {
  if (spec.fit !== 'cover' || spec.width === undefined || spec.height === undefined) {
    return fitInside(sourceWidth, sourceHeight, spec);
  }
  const scale = Math.min(1, Math.max(spec.width / sourceWidth, spec.height / sourceHeight));
  const side = (length: number) => Math.min(length, Math.max(1, Math.ceil(length * scale - EPSILON)));
  return { width: side(sourceWidth), height: side(sourceHeight) };
}

/**
 * The dimensions of an intermediate from which EVERY rendition of `specs` can be rendered without enlarging:
 * the largest `renditionExtent` of the plan on each side.
 */
export function intermediateSize(
  specs: readonly RenditionGeometry[],
  sourceWidth: number,
  sourceHeight: number,
): { width: number; height: number } {
  const extents = specs.map((spec) => renditionExtent(spec, sourceWidth, sourceHeight));
  return {
    width: Math.max(...extents.map((extent) => extent.width)),
    height: Math.max(...extents.map((extent) => extent.height)),
  };
}

/**
 * sharp resize options that render `spec` from an intermediate (the source oriented and shrunk, same aspect
 * ratio up to rounding) with the dimensions and crop a render from the source would have: `inside` resizes to
 * `fitInside` of the source's size exactly; `cover` fills `coverBox(...)` of the source's size and lets
 * sharp pick the crop (`attention`/`entropy` run on the image already scaled to cover the box, so they see
 * the same pixels either way). Throws `RangeError` when `stored` is smaller than the rendition's scale needs.
 */
export function resizeFromIntermediate(
  spec: RenditionGeometry,
  source: { width: number; height: number },
  stored: { width: number; height: number },
): ResizeOptions {
  const needed = renditionExtent(spec, source.width, source.height);
  if (stored.width < needed.width || stored.height < needed.height) {
    // Prepared for a smaller plan: enlarging it would be a quality bug, never a derivative.
    throw new RangeError(
      `Expected an intermediate of at least ${needed.width}x${needed.height} but received ${stored.width}x${stored.height}`,
    );
  }
  if (spec.fit === 'inside') {
    return { ...fitInside(source.width, source.height, spec), fit: 'fill' };
  }
  return resizeOptions(spec, source.width, source.height);
}

/**
 * For a `cover` rendition cropped by `attention` or `entropy`: the strategy, the size the source is first
 * scaled to (`renditionExtent`, the same on every decode path) and the box cut from it (`coverBox`); the crop
 * itself is chosen by smartCrop.ts. Undefined for `inside` and `centre`, which sharp crops in one resize.
 * With `stored` (an intermediate or a box-shrunk HEIC copy), throws `RangeError` when it is smaller than the
 * extent (as `resizeFromIntermediate`).
 */
export function smartCropPlan(
  spec: RenditionGeometry,
  source: { width: number; height: number },
  stored?: { width: number; height: number },
):
  | {
      strategy: 'attention' | 'entropy';
      extent: { width: number; height: number };
      box: { width: number; height: number };
    }
  | undefined {
  const strategy = spec.position;
  if (spec.fit !== 'cover' || spec.width === undefined || spec.height === undefined) return undefined;
  if (strategy !== 'attention' && strategy !== 'entropy') return undefined;
  const extent = renditionExtent(spec, source.width, source.height);
  if (stored !== undefined && (stored.width < extent.width || stored.height < extent.height)) {
    throw new RangeError(
      `Expected an intermediate of at least ${extent.width}x${extent.height} but received ${stored.width}x${stored.height}`,
    );
  }
  const box = coverBox({ width: spec.width, height: spec.height }, source.width, source.height);
  return { strategy, extent, box };
}
