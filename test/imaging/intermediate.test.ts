/**
 * Decode once vs decode per size: the same dimensions exactly, and the same pixels within a small tolerance
 * (the only difference is that smaller sizes are resampled from the largest one instead of from the source).
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  decodeOncePays,
  fitInside,
  prepareIntermediate,
  renderDerivative,
  renderRenditionFromIntermediate,
  type Intermediate,
  type RenderedDerivative,
  type RenderResult,
  type SourceLimits,
} from '../../src/imaging';
import { makePhoto, truncate, type PhotoFormat } from '../support/images';
import type { SizeSpec } from '../../src/domain/types';
import type { IntermediateSource } from '../../src/imaging';
import { decode } from './pixels';

type Box = { width: number; height: number };
/** A default-style rendition (`inside`, the source's format) of `box`. */
const inside = (box: Box): SizeSpec => ({ label: 'box', ...box, fit: 'inside', formats: ['source'] });

/** The one derivative of an `inside`/`source` rendition from an intermediate. */
async function renderFromIntermediate(
  data: Buffer,
  source: IntermediateSource,
  box: Box,
): Promise<RenderResult> {
  const result = await renderRenditionFromIntermediate(data, source, inside(box));
  if (!result.ok) return result;
  const [output] = result.outputs;
  if (!output?.ok) throw new Error('expected the source format to encode');
  return { ok: true, derivative: { ...output.derivative, source: result.source } };
}

const LIMITS: SourceLimits = { maxSourceBytes: 50 * 1024 * 1024, maxSourcePixels: 50_000_000 };
// The default plan (150/640/1280) scaled down 4x, so the sources stay small and the tests fast.
const PLAN = [
  { width: 38, height: 38 },
  { width: 160, height: 160 },
  { width: 320, height: 320 },
];

async function intermediateOf(source: Buffer, boxes: Box[] = PLAN): Promise<Intermediate> {
  const result = await prepareIntermediate(source, boxes.map(inside), LIMITS);
  if (!result.ok) throw new Error(result.error.message);
  return result.intermediate;
}

async function both(source: Buffer, box: { width: number; height: number }, intermediate: Intermediate) {
  const direct = await renderDerivative(source, box, LIMITS);
  const once = await renderFromIntermediate(intermediate.data, intermediate.source, box);
  if (!direct.ok || !once.ok) throw new Error('expected both paths to render');
  return { direct: direct.derivative, once: once.derivative };
}

/** Mean absolute difference per channel value, over the whole image. */
async function meanDifference(a: RenderedDerivative, b: RenderedDerivative): Promise<number> {
  const [left, right] = [await decode(a.data), await decode(b.data)];
  expect([left.width, left.height, left.channels]).toEqual([right.width, right.height, right.channels]);
  let total = 0;
  for (let index = 0; index < left.data.length; index += 1) {
    total += Math.abs((left.data[index] ?? 0) - (right.data[index] ?? 0));
  }
  return total / left.data.length;
}

describe('decode once vs per size', () => {
  it.each<[PhotoFormat, boolean]>([
    ['png', false],
    ['webp', false],
    ['tiff', false],
    ['avif', false],
    ['gif', false],
    ['png', true],
    ['jpeg', false],
  ])(
    '%s (alpha: %s): same dimensions, format and pixels within tolerance at every size',
    async (format, alpha) => {
      const source = await makePhoto({
        width: 400,
        height: 267,
        format,
        alpha,
        ...(format === 'jpeg' ? { orientation: 6 } : {}),
      });
      const intermediate = await intermediateOf(source);
      expect([intermediate.width, intermediate.height]).toEqual([320, 214]);
      for (const box of PLAN) {
        const { direct, once } = await both(source, box, intermediate);
        expect([once.width, once.height, once.format, once.source]).toEqual([
          direct.width,
          direct.height,
          direct.format,
          direct.source,
        ]);
        // Mean over every channel value (0-255): resampling the noise twice, and a lossy re-encode, move single
        // pixels by more, but a wrong colour space, orientation or offset moves the mean by tens.
        expect(await meanDifference(direct, once)).toBeLessThan(6);
      }
    },
  );

  it('HEIC: the intermediate carries the decoded, rotated pixels and the source facts', async () => {
    const heic = readFileSync(path.join(__dirname, '../fixtures/heic/irot-90.heic'));
    const intermediate = await intermediateOf(heic, [
      { width: 72, height: 72 },
      { width: 48, height: 48 },
    ]);
    expect([intermediate.width, intermediate.height, intermediate.source]).toEqual([
      72,
      48,
      { format: 'HEIC', width: 96, height: 64, hasAlpha: false },
    ]);
    const { direct, once } = await both(heic, { width: 48, height: 48 }, intermediate);
    expect([once.width, once.height, once.format]).toEqual([direct.width, direct.height, 'jpeg']);
    expect(await meanDifference(direct, once)).toBeLessThan(4);
  });

  it("matches sharp's rounding of fit-inside for awkward aspect ratios", async () => {
    for (const [width, height] of [
      [401, 399],
      [399, 401],
      [1000, 749],
      [83, 500],
      [320, 321],
      [39, 26],
    ] as const) {
      const source = await makePhoto({ width, height, format: 'png', markers: false });
      const intermediate = await intermediateOf(source);
      for (const box of PLAN) {
        const { direct, once } = await both(source, box, intermediate);
        expect([once.width, once.height], `${width}x${height} into ${box.width}`).toEqual([
          direct.width,
          direct.height,
        ]);
        expect([once.width, once.height]).toEqual(Object.values(fitInside(width, height, box)));
      }
    }
  });

  it('gives the same typed outcomes as the per-size path before decoding', async () => {
    const png = await makePhoto({ width: 400, height: 300, format: 'png' });
    expect(await prepareIntermediate(truncate(png, 0.5), PLAN.map(inside), LIMITS)).toMatchObject({
      ok: false,
      error: { code: 'corrupt-image' },
    });
    expect(
      await prepareIntermediate(png, PLAN.map(inside), { ...LIMITS, maxSourcePixels: 1000 }),
    ).toMatchObject({
      ok: false,
      error: { code: 'too-many-pixels' },
    });
  });

  it('refuses to enlarge an intermediate prepared for a smaller plan', async () => {
    const png = await makePhoto({ width: 400, height: 300, format: 'png' });
    const small = await intermediateOf(png, [{ width: 100, height: 100 }]);
    await expect(
      renderFromIntermediate(small.data, small.source, { width: 200, height: 200 }),
    ).rejects.toThrow('Expected an intermediate of at least 200x150 but received 100x75');
  });

  it('decodes once for every format without cheap shrink-on-load, not for JPEG', () => {
    expect(
      ['PNG', 'WEBP', 'GIF', 'TIFF', 'AVIF', 'HEIC', 'HEIF'].every((format) =>
        decodeOncePays(format as never),
      ),
    ).toBe(true);
    expect(decodeOncePays('JPEG')).toBe(false);
  });
});
