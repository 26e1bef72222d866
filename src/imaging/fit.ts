import type { Box } from './types';

/**
 * The size of a `width` x `height` image fitted inside `box` without enlarging, rounded exactly as sharp
 * does for `fit: 'inside'` (the constrained side is the box's, the other is rounded from the same shrink).
 * Sizes rendered from an intermediate use it so they match the dimensions of a render from the source.
 */
export function fitInside(width: number, height: number, box: Box): { width: number; height: number } {
  if (width <= box.width && height <= box.height) return { width, height };
  const horizontal = width / box.width;
  const vertical = height / box.height;
  return horizontal >= vertical
    ? { width: box.width, height: Math.max(1, Math.round(height / horizontal)) }
    : { width: Math.max(1, Math.round(width / vertical)), height: box.height };
}

/** The largest of the sizes `boxes` give a `width` x `height` image (all share its aspect ratio). */
export function largestFit(
  width: number,
  height: number,
  boxes: readonly Box[],
): { width: number; height: number } {
  return boxes
    .map((box) => fitInside(width, height, box))
    .reduce((largest, size) => (size.width * size.height > largest.width * largest.height ? size : largest));
}
