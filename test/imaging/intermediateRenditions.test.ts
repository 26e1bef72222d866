/**
 * Renditions from the decode-once intermediate: the intermediate is large enough for EVERY rendition of the
 * plan (a `cover` box samples the source at max(w/W, h/H), more than fitting inside the same box), so a cover
 * crop from it has the exact box and the sharpness of one from the source, and `attention`/`entropy` pick the
 * same region either way.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import type { SizeSpec } from '../../src/domain/types';
import {
  intermediateSize,
  prepareIntermediate,
  renderRendition,
  renderRenditionFromIntermediate,
  type Intermediate,
  type RenditionResult,
} from '../../src/imaging';
import { makePhoto } from '../support/images';
import { decode, pixelAt, type DecodedImage } from './pixels';

const LIMITS = { maxSourceBytes: 50 * 1024 * 1024, maxSourcePixels: 50_000_000 };

const spec = (fields: Partial<SizeSpec>): SizeSpec => ({
  label: 'r',
  fit: 'inside',
  formats: ['source'],
  ...fields,
});

async function intermediateOf(source: Buffer, plan: SizeSpec[]): Promise<Intermediate> {
  const result = await prepareIntermediate(source, plan, LIMITS);
  if (!result.ok) throw new Error(result.error.message);
  return result.intermediate;
}

/** The first output of a rendition, decoded, with its declared dimensions checked against its bytes. */
async function firstImage(result: RenditionResult): Promise<DecodedImage> {
  if (!result.ok) throw new Error(result.error.message);
  const [output] = result.outputs;
  if (!output?.ok) throw new Error('expected the first format to encode');
  const image = await decode(output.derivative.data);
  expect([image.width, image.height]).toEqual([output.derivative.width, output.derivative.height]);
  return image;
}

/** Both paths for one rendition: from the source itself, and from the plan's intermediate. */
async function bothPaths(source: Buffer, rendition: SizeSpec, intermediate: Intermediate) {
  return {
    direct: await firstImage(await renderRendition(source, rendition, LIMITS)),
    once: await firstImage(
      await renderRenditionFromIntermediate(intermediate.data, intermediate.source, rendition),
    ),
  };
}

/** Mean absolute difference per channel value (0-255) of two images of the same size. */
function meanDifference(a: DecodedImage, b: DecodedImage): number {
  expect([a.width, a.height, a.channels]).toEqual([b.width, b.height, b.channels]);
  let total = 0;
  for (let index = 0; index < a.data.length; index++) {
    total += Math.abs((a.data[index] ?? 0) - (b.data[index] ?? 0));
  }
  return total / a.data.length;
}

/** libvips' sharpness estimate (standard deviation of the Laplacian) of a decoded image. */
async function sharpness(image: DecodedImage): Promise<number> {
  const { width, height, channels } = image;
  return (await sharp(image.data, { raw: { width, height, channels: channels as 1 | 2 | 3 | 4 } }).stats())
    .sharpness;
}

describe('the intermediate serves every rendition of the plan', () => {
  it('sizes itself for a cover box, which needs more pixels than fitting inside the plan boxes', () => {
    const plan = [spec({ width: 300, height: 300, fit: 'cover' }), spec({ width: 320, height: 320 })];
    // A 1600x400 panorama: inside 320 is 320x80, but covering 300x300 needs the source at 0.75: 1200x300.
    expect(intermediateSize(plan, 1600, 400)).toEqual({ width: 1200, height: 300 });
    expect(intermediateSize([spec({ width: 320, height: 320 })], 1600, 400)).toEqual({
      width: 320,
      height: 80,
    });
    // Width-only boxes, and a source smaller than the cover box (cropped at its own scale: full size).
    expect(intermediateSize([spec({ width: 400 })], 1600, 1200)).toEqual({ width: 400, height: 300 });
    expect(intermediateSize([spec({ width: 500, height: 500, fit: 'cover' })], 400, 300)).toEqual({
      width: 400,
      height: 300,
    });
  });

  it('PNG: a cover thumb from the intermediate is exactly w x h and as sharp as one from the source', async () => {
    const png = await makePhoto({ width: 1600, height: 400, format: 'png' });
    const thumb = spec({ width: 300, height: 300, fit: 'cover' });
    const plan = [thumb, spec({ width: 320, height: 320 })];
    const intermediate = await intermediateOf(png, plan);
    expect([intermediate.width, intermediate.height]).toEqual([1200, 300]);

    const { direct, once } = await bothPaths(png, thumb, intermediate);
    expect([once.width, once.height]).toEqual([300, 300]);
    expect(meanDifference(direct, once)).toBeLessThan(4);
    // An intermediate sized for the inside boxes only (320x80) would have to enlarge ~4x: visibly soft.
    expect(await sharpness(once)).toBeGreaterThan(0.9 * (await sharpness(direct)));
  });

  it('HEIC: a cover thumb from the intermediate is exactly w x h and matches one from the source', async () => {
    // 96x64 as displayed (irot 90 applied by the decode).
    const heic = readFileSync(path.join(__dirname, '../fixtures/heic/irot-90.heic'));
    const thumb = spec({ width: 48, height: 48, fit: 'cover' });
    const intermediate = await intermediateOf(heic, [thumb, spec({ width: 24, height: 24 })]);
    expect([intermediate.width, intermediate.height]).toEqual([72, 48]);

    const { direct, once } = await bothPaths(heic, thumb, intermediate);
    expect([once.width, once.height]).toEqual([48, 48]);
    expect(meanDifference(direct, once)).toBeLessThan(4);
    expect(await sharpness(once)).toBeGreaterThan(0.9 * (await sharpness(direct)));
  });
});

describe('crop position from the intermediate', () => {
  /** A flat grey field with a small saturated, textured orange disc centred at (cx, cy). */
  async function fieldWithSubject(width: number, height: number, cx: number, cy: number, radius: number) {
    const pixels = Buffer.alloc(width * height * 3, 128);
    for (let y = cy - radius; y < cy + radius; y++) {
      for (let x = cx - radius; x < cx + radius; x++) {
        if ((x - cx) ** 2 + (y - cy) ** 2 > radius ** 2) continue;
        const offset = (y * width + x) * 3;
        pixels[offset] = 250;
        pixels[offset + 1] = (x + y) % 12 < 6 ? 120 : 160;
        pixels[offset + 2] = 20;
      }
    }
    return sharp(pixels, { raw: { width, height, channels: 3 } })
      .png()
      .toBuffer();
  }

  /** The centroid of the orange pixels, or undefined when the crop holds none. */
  function subjectCentroid(image: DecodedImage): { x: number; y: number; count: number } | undefined {
    let [sumX, sumY, count] = [0, 0, 0];
    for (let y = 0; y < image.height; y++) {
      for (let x = 0; x < image.width; x++) {
        const [r = 0, g = 0, b = 0] = pixelAt(image, x, y);
        if (r > 200 && g > 90 && g < 190 && b < 80) {
          sumX += x;
          sumY += y;
          count++;
        }
      }
    }
    return count === 0 ? undefined : { x: sumX / count, y: sumY / count, count };
  }

  it.each(['attention', 'entropy'] as const)(
    '%s picks the same region from the intermediate as from the source',
    async (position) => {
      // 1600x900; the subject (radius 60) sits 100 px from the right edge, far outside a centre crop.
      const source = await fieldWithSubject(1600, 900, 1500, 450, 60);
      const thumb = spec({ width: 150, height: 150, fit: 'cover', position });
      const intermediate = await intermediateOf(source, [thumb, spec({ width: 320, height: 320 })]);
      const { direct, once } = await bothPaths(source, thumb, intermediate);
      expect([once.width, once.height]).toEqual([150, 150]);
      const [fromSource, fromIntermediate] = [subjectCentroid(direct), subjectCentroid(once)];
      // The disc is ~20 px across at 1/6 scale: about 300 px, all inside both crops, at the same place.
      expect(fromSource?.count).toBeGreaterThan(200);
      expect(fromIntermediate?.count).toBeGreaterThan(200);
      expect(Math.abs((fromIntermediate?.x ?? 0) - (fromSource?.x ?? 999))).toBeLessThanOrEqual(2);
      expect(Math.abs((fromIntermediate?.y ?? 0) - (fromSource?.y ?? 999))).toBeLessThanOrEqual(2);
    },
  );

  it('a centre crop from the intermediate loses that subject too (the control)', async () => {
    const source = await fieldWithSubject(1600, 900, 1500, 450, 60);
    const thumb = spec({ width: 150, height: 150, fit: 'cover', position: 'centre' });
    const intermediate = await intermediateOf(source, [thumb]);
    const { once } = await bothPaths(source, thumb, intermediate);
    expect(subjectCentroid(once)).toBeUndefined();
  });
});
