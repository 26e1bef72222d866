import sharp from 'sharp';
import type { CropPosition } from '../domain/types';
import type { RawPixels } from './types';

/**
 * Crop freedom (pixels along the free axis) at or under which `attention`/`entropy` crop at the centre: a few
 * pixels of choice is no composition decision, and the strategies' scores of such near-identical windows are
 * near-equal, so resampling noise (a render from the source against one from an intermediate) would flip them.
 */
export const STABLE_FREEDOM_PX = 4;

/**
 * `entropy` only: windows whose detail (`detailProfile`, see below) is within this fraction of the best are a
 * tie, broken toward the centre. Measured on blurred-noise sources
 * (many near-equal candidates): the two decode paths' choices then differed by up to 100+ px with libvips
 * alone; the detail scores of one window from the two paths differ by well under 1 %.
 */
export const TIE_MARGIN = 0.1;

type Strategy = Exclude<CropPosition, 'centre'>;

const SHARP_STRATEGY: Record<Strategy, number> = {
  attention: sharp.strategy.attention,
  entropy: sharp.strategy.entropy,
};

/** libvips' own choice (`vips_smartcrop`) on pixels already scaled to cover the box: the crop's top-left. */
async function strategyOffset(
  pixels: RawPixels,
  box: { width: number; height: number },
  strategy: Strategy,
  mirrored: boolean,
): Promise<{ left: number; top: number }> {
  const { data, width, height, channels } = pixels;
  let image = sharp(data, { raw: { width, height, channels } });
  if (mirrored) image = image.flop().flip();
  const { info } = await image
    .resize(box.width, box.height, { fit: 'cover', position: SHARP_STRATEGY[strategy] })
    .raw()
    .toBuffer({ resolveWithObject: true });
  const left = -(info.cropOffsetLeft ?? 0);
  const top = -(info.cropOffsetTop ?? 0);
  // A mirrored run's offset, mapped back to the unmirrored image.
  return mirrored ? { left: width - box.width - left, top: height - box.height - top } : { left, top };
}

/**
 * Per line along the free axis (columns when the crop moves horizontally), the sum of absolute luma steps to
 * the right and below each pixel: detail that survives resampling, so two decode paths score a window alike.
 */
function detailProfile(pixels: RawPixels, horizontal: boolean): Float64Array {
  const { data, width, height, channels } = pixels;
  const luma = (x: number, y: number) => {
    const i = (y * width + x) * channels;
    return channels >= 3
      ? 0.299 * (data[i] ?? 0) + 0.587 * (data[i + 1] ?? 0) + 0.114 * (data[i + 2] ?? 0)
      : (data[i] ?? 0);
  };
  const profile = new Float64Array(horizontal ? width : height);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const here = luma(x, y);
      const step =
        (x + 1 < width ? Math.abs(luma(x + 1, y) - here) : 0) +
        (y + 1 < height ? Math.abs(luma(x, y + 1) - here) : 0);
      const line = horizontal ? x : y;
      profile[line] = (profile[line] ?? 0) + step;
    }
  }
  return profile;
}

/** The offset in [0, freedom] nearest `middle` (the lower one of two equally near). */
function nearestTo(middle: number, offsets: readonly number[]): number {
  let best = offsets[0] ?? middle;
  for (const offset of offsets) {
    const [d, e] = [Math.abs(offset - middle), Math.abs(best - middle)];
    if (d < e || (d === e && offset < best)) best = offset;
  }
  return best;
}

/**
 * Where a `cover` crop of `box` is taken from `pixels` (the source already scaled to cover the box: the same
 * dimensions on every decode path) for `attention`/`entropy`, deterministically and stably:
 * - at most `STABLE_FREEDOM_PX` of freedom: the centre (floor of half the freedom);
 * - `entropy`: the window with the most detail (`detailProfile`: the sum of luma steps, which tracks the
 *   information a window holds and, unlike a histogram entropy, adds up line by line); every window within
 *   `TIE_MARGIN` of the best is a tie, and the tie nearest the centre wins. A flat image crops at the centre;
 * - `attention`: libvips' saliency search (`vips_smartcrop`: skin tones, saturation, edges), run on the image
 *   and on its mirror. Where the two agree (±1 px) that is the crop: a detail score never overrides it (a
 *   textured background out-scores a smooth face). Where they disagree the image holds near-equal candidates
 *   (the greedy search's tie-break depends on the side it trims first): the offset between the two nearest
 *   the centre wins (a flat image: the centre).
 * The fixed axis (freedom 0, or 1 from rounding) is centred. Returns the crop's top-left in `pixels`.
 */
export async function smartCropOffset(
  pixels: RawPixels,
  box: { width: number; height: number },
  strategy: Strategy,
): Promise<{ left: number; top: number }> {
  const freeX = pixels.width - box.width;
  const freeY = pixels.height - box.height;
  if (freeX < 0 || freeY < 0) {
    throw new RangeError(
      `Expected pixels of at least ${box.width}x${box.height} to crop but received ${pixels.width}x${pixels.height}`,
    );
  }
  const horizontal = freeX >= freeY;
  const freedom = horizontal ? freeX : freeY;
  const centre = { left: Math.floor(freeX / 2), top: Math.floor(freeY / 2) };
  if (freedom <= STABLE_FREEDOM_PX) return centre;

  const middle = Math.floor(freedom / 2);
  const place = (start: number) => (horizontal ? { ...centre, left: start } : { ...centre, top: start });
  const length = horizontal ? box.width : box.height;
  const profile = detailProfile(pixels, horizontal);
  // Window sums for every offset from one prefix sum.
  const prefix = new Float64Array(profile.length + 1);
  profile.forEach((value, index) => (prefix[index + 1] = (prefix[index] ?? 0) + value));
  const score = (start: number) => (prefix[start + length] ?? 0) - (prefix[start] ?? 0);

  if (strategy === 'entropy') {
    const offsets = Array.from({ length: freedom + 1 }, (_, offset) => offset);
    const best = Math.max(...offsets.map(score));
    if (best <= 0) return centre;
    return place(
      nearestTo(
        middle,
        offsets.filter((offset) => score(offset) >= (1 - TIE_MARGIN) * best),
      ),
    );
  }

  const along = (offset: { left: number; top: number }) => (horizontal ? offset.left : offset.top);
  const direct = along(await strategyOffset(pixels, box, strategy, false));
  const mirrored = along(await strategyOffset(pixels, box, strategy, true));
  // libvips' choice stands. Where it is ambiguous (the image and its mirror disagree: a flat image gives 0 and
  // the far end) libvips prefers nothing between the two, and the offset there nearest the centre wins, so
  // both decode paths settle on the same one.
  if (Math.abs(direct - mirrored) <= 1) return place(direct);
  return place(Math.min(Math.max(middle, Math.min(direct, mirrored)), Math.max(direct, mirrored)));
}

/** The `box` at `offset` cut out of raw pixels (an exact copy of those rows and columns). */
export function cropRaw(
  pixels: RawPixels,
  offset: { left: number; top: number },
  box: { width: number; height: number },
): RawPixels {
  const { data, width, channels } = pixels;
  const out = Buffer.alloc(box.width * box.height * channels);
  const rowBytes = box.width * channels;
  for (let y = 0; y < box.height; y++) {
    const from = ((offset.top + y) * width + offset.left) * channels;
    data.copy(out, y * rowBytes, from, from + rowBytes);
  }
  return { data: out, width: box.width, height: box.height, channels };
}

/**
 * `attention`/`entropy`: `box` cut from pixels already scaled to cover it, where `smartCropOffset` chooses, so the
 * render from the source and the one from an intermediate choose from the same geometry, deterministically.
 */
export async function smartCrop(
  pixels: RawPixels,
  plan: { strategy: Strategy; box: { width: number; height: number } },
): Promise<RawPixels> {
  return cropRaw(pixels, await smartCropOffset(pixels, plan.box, plan.strategy), plan.box);
}
