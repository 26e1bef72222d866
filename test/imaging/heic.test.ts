/**
 * HEIC input on real files made by a real HEVC encoder (test/fixtures/heic/, see makeFixtures.ts there):
 * dimensions, orientation by the corner markers, colour, typed outcomes.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import {
  detectFormat,
  encodeRaw,
  prepareIntermediate,
  renderDerivative,
  renderRendition,
  type EncodeRaw,
  type RawPixels,
  type RenderedDerivative,
  type SourceLimits,
} from '../../src/imaging';
import { DecodeTimeoutError, ImageResourceError } from '../../src/domain/errors';
import type { SizeSpec } from '../../src/domain/types';
import { resizeOptions, smartCropPlan } from '../../src/imaging/geometry';
import { smartCrop } from '../../src/imaging/smartCrop';
import { openSource } from '../../src/imaging/openSource';
import { readHeifContainer } from '../../src/imaging/heif/container';
import { decodeHeic, heicDecodeSlots } from '../../src/imaging/heif/decodeHeic';
import { describePrimaryImage } from '../../src/imaging/heif/primaryImage';
import { MARKERS, makePhoto, type Rgb } from '../support/images';
import { colourDistance, decode, pixelAt, type DecodedImage } from './pixels';

const LIMITS: SourceLimits = { maxSourceBytes: 50 * 1024 * 1024, maxSourcePixels: 50_000_000 };
const BIG_BOX = { width: 640, height: 640 };

function fixture(name: string): Buffer {
  return readFileSync(path.join(__dirname, '../fixtures/heic', name));
}

async function render(name: string, box = BIG_BOX): Promise<RenderedDerivative> {
  const result = await renderDerivative(fixture(name), box, LIMITS);
  if (!result.ok)
    throw new Error(`expected a derivative of ${name}, got ${result.error.code}: ${result.error.message}`);
  return result.derivative;
}

/** Mean absolute difference per channel value of two images of the same size. */
function meanDifference(a: DecodedImage, b: DecodedImage): number {
  expect([a.width, a.height, a.channels]).toEqual([b.width, b.height, b.channels]);
  let total = 0;
  for (let index = 0; index < a.data.length; index += 1)
    total += Math.abs((a.data[index] ?? 0) - (b.data[index] ?? 0));
  return total / a.data.length;
}

/** Red marker top-left, green top-right, neither at the bottom-left: the image is upright and not mirrored. */
function expectUpright(image: DecodedImage): void {
  expect(colourDistance(pixelAt(image, 3, 3), MARKERS.topLeft)).toBeLessThan(40);
  expect(colourDistance(pixelAt(image, image.width - 4, 3), MARKERS.topRight)).toBeLessThan(40);
  expect(colourDistance(pixelAt(image, 3, image.height - 4), MARKERS.topLeft)).toBeGreaterThan(80);
  expect(colourDistance(pixelAt(image, 3, image.height - 4), MARKERS.topRight)).toBeGreaterThan(80);
}

describe('HEIC: detection', () => {
  it('every fixture is detected as HEIC from its brands', () => {
    expect(detectFormat(fixture('plain.heic'))).toEqual({ kind: 'decodable', format: 'HEIC' });
    expect(detectFormat(fixture('grid.heic'))).toEqual({ kind: 'decodable', format: 'HEIC' });
  });
});

describe('HEIC: decoding', () => {
  it('a plain HEIC becomes a JPEG derivative of the same size, markers in place', async () => {
    const derivative = await render('plain.heic');
    expect([derivative.format, derivative.contentType, derivative.extension]).toEqual([
      'jpeg',
      'image/jpeg',
      'jpg',
    ]);
    expect([derivative.width, derivative.height]).toEqual([96, 64]);
    expect(derivative.source).toEqual({ format: 'HEIC', width: 96, height: 64, hasAlpha: false });
    expectUpright(await decode(derivative.data));
  });

  it('resizes into the box like any other source', async () => {
    const derivative = await render('plain.heic', { width: 72, height: 72 });
    expect([derivative.width, derivative.height]).toEqual([72, 48]);
    expectUpright(await decode(derivative.data));
  });

  it.each([
    ['irot-90.heic', 'irot 90° anticlockwise'],
    ['irot-270-exif-6.heic', 'irot 270° plus a stale Exif Orientation=6 (applied once, not twice)'],
    ['imir-left-right.heic', 'imir axis 1 (left and right exchanged)'],
    ['imir-top-bottom.heic', 'imir axis 0 (top and bottom exchanged)'],
  ])('%s (%s) comes out upright with the markers at the top', async (name) => {
    const derivative = await render(name);
    expect([derivative.width, derivative.height]).toEqual([96, 64]);
    expect([derivative.source.width, derivative.source.height]).toEqual([96, 64]);
    expectUpright(await decode(derivative.data));
    expect((await sharp(derivative.data).metadata()).orientation).toBeUndefined();
  });

  it('the rotated fixtures really store their pixels turned (the container, not the pixels, makes them upright)', () => {
    const primary = describePrimaryImage(readHeifContainer(fixture('irot-90.heic')));
    expect([primary.storedWidth, primary.storedHeight, primary.rotation]).toEqual([64, 96, 90]);
    expect(describePrimaryImage(readHeifContainer(fixture('imir-top-bottom.heic'))).mirrorAxis).toBe(0);
  });

  it('a grid of 2x2 tiles is assembled and cropped to its output size, as phones write them', async () => {
    const primary = describePrimaryImage(readHeifContainer(fixture('grid.heic')));
    expect(primary.grid).toEqual({ rows: 2, columns: 2, tileWidth: 64, tileHeight: 64 });
    const derivative = await render('grid.heic');
    expect([derivative.width, derivative.height]).toEqual([120, 100]);
    const image = await decode(derivative.data);
    expectUpright(image);
    // The tile seams (x = 64, y = 64) carry the picture on: no black or grey gaps between tiles.
    const left = pixelAt(image, 63, 80);
    const right = pixelAt(image, 64, 80);
    expect(Math.max(...left.map((value, index) => Math.abs(value - (right[index] ?? 0))))).toBeLessThan(60);
  });

  it('keeps alpha: a PNG derivative with the transparent bottom-right quadrant', async () => {
    const derivative = await render('alpha.heic');
    expect([derivative.format, derivative.source.hasAlpha]).toEqual(['png', true]);
    const image = await decode(derivative.data);
    expect(image.channels).toBe(4);
    expect(pixelAt(image, image.width - 4, image.height - 4)[3]).toBe(0);
    expect(pixelAt(image, 3, 3)[3]).toBe(255);
    expectUpright(image);
  });

  it('converts a Display P3 HEIC to sRGB through its ICC profile and drops the profile', async () => {
    const primary = describePrimaryImage(readHeifContainer(fixture('display-p3.heic')));
    const p3 = await makePhoto({ width: 8, height: 8, format: 'png', icc: 'p3' });
    expect(primary.icc).toEqual((await sharp(p3).metadata()).icc); // heif-enc kept the source's P3 profile
    // What the decoder itself returns are P3 numbers, visibly off the sRGB marker...
    const heic = await decodeHeic(fixture('display-p3.heic'), primary, { maxPixels: LIMITS.maxSourcePixels });
    if (!heic.ok) throw new Error(heic.error.message);
    const stored = await decode(heic.decoded.tiff, { storedNumbers: true });
    expect(colourDistance(pixelAt(stored, 3, 3), MARKERS.topLeft)).toBeGreaterThan(15);
    // ...and the derivative is back on it, untagged.
    const derivative = await render('display-p3.heic');
    expect((await sharp(derivative.data).metadata()).hasProfile).toBe(false);
    expect(colourDistance(pixelAt(await decode(derivative.data), 3, 3), MARKERS.topLeft)).toBeLessThan(12);
  });

  it('converts an nclx-only Display P3 HEIC (primaries 12, no ICC) to sRGB like the ICC-tagged one', async () => {
    const primary = describePrimaryImage(readHeifContainer(fixture('display-p3-nclx.heic')));
    expect(primary.icc).toBeUndefined();
    expect(primary.nclx).toEqual({ primaries: 12, transfer: 13, matrix: 6, fullRange: true });
    // The decoder returns the P3 numbers: the saturated red marker reads as a duller, shifted red...
    const heic = await decodeHeic(fixture('display-p3-nclx.heic'), primary, {
      maxPixels: LIMITS.maxSourcePixels,
    });
    if (!heic.ok) throw new Error(heic.error.message);
    const stored = await decode(heic.decoded.tiff, { storedNumbers: true });
    expect(colourDistance(pixelAt(stored, 3, 3), MARKERS.topLeft)).toBeGreaterThan(20);
    // ...and the derivative is sRGB: the red within 12 per channel of the marker (x265 at q90 alone moves the
    // plain sRGB fixture's by up to 5), and every corner within 6 of the same picture tagged with an ICC P3
    // profile (libvips' built-in one), the whole picture within a mean of 1.5 levels per channel of it.
    const nclx = await decode((await render('display-p3-nclx.heic')).data);
    const icc = await decode((await render('display-p3.heic')).data);
    expect(colourDistance(pixelAt(nclx, 3, 3), MARKERS.topLeft)).toBeLessThan(12);
    for (const [x, y] of [
      [3, 3],
      [nclx.width - 4, 3],
      [3, nclx.height - 4],
      [nclx.width - 4, nclx.height - 4],
    ] as const) {
      expect(colourDistance(pixelAt(nclx, x, y), pixelAt(icc, x, y) as unknown as Rgb)).toBeLessThan(6);
    }
    expect(meanDifference(nclx, icc)).toBeLessThan(1.5);
  });

  it('converts an nclx-only BT.2020 HEIC (primaries 9, BT.709 curve) to sRGB', async () => {
    const primary = describePrimaryImage(readHeifContainer(fixture('bt2020-nclx.heic')));
    expect([primary.icc, primary.nclx?.primaries, primary.nclx?.transfer]).toEqual([undefined, 9, 1]);
    const heic = await decodeHeic(fixture('bt2020-nclx.heic'), primary, {
      maxPixels: LIMITS.maxSourcePixels,
    });
    if (!heic.ok) throw new Error(heic.error.message);
    const stored = await decode(heic.decoded.tiff, { storedNumbers: true });
    expect(colourDistance(pixelAt(stored, 3, 3), MARKERS.topLeft)).toBeGreaterThan(40);
    // BT.2020's wider gamut stretches the coding error of 8-bit numbers (~1.7x in red): 16, not 12, per channel.
    const derivative = await decode((await render('bt2020-nclx.heic')).data);
    expect(colourDistance(pixelAt(derivative, 3, 3), MARKERS.topLeft)).toBeLessThan(16);
    // The same picture coded as sRGB: the green marker within 12, the whole within a mean of 3.5 levels (the
    // ICC-tagged P3 fixture is 2.5 from it: coding differences of the three encodes, not colour).
    const plain = await decode((await render('plain.heic')).data);
    const [x, y] = [derivative.width - 4, 3];
    expect(colourDistance(pixelAt(derivative, x, y), pixelAt(plain, x, y) as unknown as Rgb)).toBeLessThan(
      12,
    );
    expect(meanDifference(derivative, plain)).toBeLessThan(3.5);
  });

  it('decodes the primary image of a multi-image file, not the first one', async () => {
    const container = readHeifContainer(fixture('multi-image.heic'));
    expect([...container.items.keys()]).toEqual([1, 2]);
    expect(container.primaryItemId).toBe(2);
    const derivative = await render('multi-image.heic');
    expect([derivative.width, derivative.height]).toEqual([96, 64]); // item 1 is a 64x64 blue square
    expectUpright(await decode(derivative.data));
  });

  it('a generic-brand (mif1) HEIF holding HEVC is decoded as HEIC from its primary item', async () => {
    const plain = fixture('plain.heic');
    const generic = Buffer.from(plain);
    generic.write('mif1', 8, 'latin1'); // major brand
    generic.write('miaf', 20, 'latin1'); // the compatible 'heic'
    expect(detectFormat(generic)).toEqual({ kind: 'decodable', format: 'HEIF' });
    const result = await renderDerivative(generic, BIG_BOX, LIMITS);
    expect(result.ok && [result.derivative.source.format, result.derivative.width]).toEqual(['HEIC', 96]);
  });
});

describe('HEIC: memory', () => {
  const plain = fixture('plain.heic');
  const primary = describePrimaryImage(readHeifContainer(plain));

  async function decoded(shrinkFor?: { width: number; height: number }): Promise<DecodedImage> {
    const result = await decodeHeic(plain, primary, {
      maxPixels: LIMITS.maxSourcePixels,
      ...(shrinkFor === undefined ? {} : { shrinkFor }),
    });
    if (!result.ok) throw new Error(result.error.message);
    return decode(result.decoded.tiff);
  }

  it('hands over a box-shrunk copy (mean of each block, partial blocks at the edges) when the box allows', async () => {
    const full = await decoded();
    // 96x64 into 16x10: 6 times smaller, so a box of 3 (the fit stays 2x the box), 32x22 with a last row of 1.
    const shrunk = await decoded({ width: 16, height: 10 });
    expect([shrunk.width, shrunk.height, shrunk.channels]).toEqual([32, 22, 3]);
    for (const [x, y] of [
      [0, 0],
      [10, 7],
      [31, 20],
      [31, 21],
    ] as const) {
      const rows = Math.min(3, full.height - y * 3);
      const expected = [0, 1, 2].map((channel) => {
        let sum = 0;
        for (let dy = 0; dy < rows; dy += 1)
          for (let dx = 0; dx < 3; dx += 1) sum += pixelAt(full, x * 3 + dx, y * 3 + dy)[channel] ?? 0;
        return Math.round(sum / (rows * 3));
      });
      expect(pixelAt(shrunk, x, y)).toEqual(expected);
    }
    // Within 4 times the box: the full size.
    expect((await decoded({ width: 48, height: 32 })).width).toBe(96);
  });

  it('the decode-once intermediate from a shrunk decode has the size and pixels of a full-size one', async () => {
    const prepared = await prepareIntermediate(
      plain,
      [{ label: 'small', width: 16, height: 16, fit: 'inside', formats: ['source'] }],
      LIMITS,
    );
    if (!prepared.ok) throw new Error(prepared.error.message);
    const ours = await decode(prepared.intermediate.data);
    const full = await decodeHeic(plain, primary, { maxPixels: LIMITS.maxSourcePixels });
    if (!full.ok) throw new Error(full.error.message);
    const { data, info } = await sharp(full.decoded.tiff)
      .resize({ width: 16, height: 11, fit: 'fill' })
      .raw()
      .toBuffer({ resolveWithObject: true });
    expect([ours.width, ours.height]).toEqual([info.width, info.height]);
    expect(
      meanDifference(ours, { width: info.width, height: info.height, channels: info.channels, data }),
    ).toBeLessThan(2);
  });

  /** The raw pixels `renderRendition` resized for `spec` (captured at the encoder seam), and its outputs' size. */
  async function renditionPixels(spec: SizeSpec): Promise<{ pixels: DecodedImage; encoded: number[][] }> {
    const seen: RawPixels[] = [];
    const capture: EncodeRaw = (pixels, encoding, quality) => {
      seen.push(pixels);
      return encodeRaw(pixels, encoding, quality);
    };
    const result = await renderRendition(plain, spec, LIMITS, capture);
    if (!result.ok) throw new Error(result.error.message);
    const [first] = seen;
    if (first === undefined) throw new Error('nothing was encoded');
    const encoded = result.outputs.map((output) => {
      if (!output.ok) throw new Error(output.error.message);
      return [output.derivative.width, output.derivative.height];
    });
    return { pixels: first, encoded };
  }

  /** What a render from a full-size decode gives: the full TIFF resized as sharp does from the source. */
  async function fullDecodeRender(spec: SizeSpec): Promise<DecodedImage> {
    const full = await decodeHeic(plain, primary, { maxPixels: LIMITS.maxSourcePixels });
    if (!full.ok) throw new Error(full.error.message);
    // The same crop rule as every render (smartCrop.ts for attention/entropy), from the full-size decode.
    const smart = smartCropPlan(spec, primary);
    const { data, info } = await sharp(full.decoded.tiff)
      .resize(smart ? { ...smart.extent, fit: 'fill' } : resizeOptions(spec, primary.width, primary.height))
      .toColourspace('srgb')
      .raw()
      .toBuffer({ resolveWithObject: true });
    const pixels = { data, width: info.width, height: info.height, channels: info.channels };
    return smart ? await smartCrop(pixels, smart) : pixels;
  }

  it.each(['centre', 'attention'] as const)(
    'a cover thumb (%s) from the shrunk copy is exactly w x h, with the pixels of a full-size decode',
    async (position) => {
      const thumb: SizeSpec = {
        label: 'thumb',
        width: 16,
        height: 16,
        fit: 'cover',
        position,
        formats: ['source', 'webp'],
      };
      // 96x64 covering 16x16 works at 24x16 (max(16/96, 16/64)): 4 times smaller, so a copy shrunk by 2.
      const opened = await openSource(plain, LIMITS, [thumb]);
      if (!opened.ok) throw new Error(opened.error.message);
      expect(opened.opened.decoded).toEqual({ width: 48, height: 32 });
      opened.opened.release();
      const { pixels, encoded } = await renditionPixels(thumb);
      expect([pixels.width, pixels.height]).toEqual([16, 16]);
      expect(encoded).toEqual([
        [16, 16],
        [16, 16],
      ]);
      // Box shrink then Lanczos vs Lanczos alone, same crop: measured mean 0.44 (centre) and 0.42 (attention)
      // per channel value; a different crop would be tens of levels off.
      expect(meanDifference(pixels, await fullDecodeRender(thumb))).toBeLessThan(2);
    },
  );

  it('a cover box of the other orientation gets the pixels it needs, not the shrink of fitting inside it', async () => {
    // Fitting 96x64 inside 8x32 is 8x5 (a copy shrunk by 6 would be 16x11); covering it works at 48x32, so
    // only 2 times smaller: the full size.
    const tall: SizeSpec = { label: 'tall', width: 8, height: 32, fit: 'cover', formats: ['source'] };
    const opened = await openSource(plain, LIMITS, [tall]);
    if (!opened.ok) throw new Error(opened.error.message);
    expect(opened.opened.decoded).toEqual({ width: 96, height: 64 });
    opened.opened.release();
    const { pixels } = await renditionPixels(tall);
    expect([pixels.width, pixels.height]).toEqual([8, 32]);
    expect(meanDifference(pixels, await fullDecodeRender(tall))).toBe(0);
  });

  it('runs one decode at a time per process; the others wait their turn and all complete', async () => {
    const decodes = [1, 2, 3].map(() => decodeHeic(plain, primary, { maxPixels: LIMITS.maxSourcePixels }));
    await new Promise((resolve) => setImmediate(resolve));
    expect(heicDecodeSlots()).toEqual({ running: 1, waiting: 2 });
    const results = await Promise.all(decodes);
    expect(results.map((result) => result.ok)).toEqual([true, true, true]);
    expect(heicDecodeSlots()).toEqual({ running: 0, waiting: 0 });
  });
});

describe('HEIC: typed outcomes, decided before the decode where the container allows', () => {
  it('a bomb header (ispe 40000x30000) is too-many-pixels without decoding', async () => {
    expect(await renderDerivative(fixture('bomb.heic'), BIG_BOX, LIMITS)).toEqual({
      ok: false,
      error: {
        code: 'too-many-pixels',
        message:
          'The HEIC declares 40000x30000 = 1200000000 pixels; the limit is 50000000 (MAX_SOURCE_PIXELS)',
      },
      source: { format: 'HEIC', width: 40000, height: 30000 },
    });
  });

  it('a grid whose descriptor declares more than its ispe is judged by the descriptor', async () => {
    const grid = Buffer.from(fixture('grid.heic'));
    const idat = grid.indexOf('idat', 0, 'latin1');
    grid.writeUInt16BE(128, idat + 4 + 4); // output_width (ispe still says 120x100)
    grid.writeUInt16BE(128, idat + 4 + 6); // output_height
    const limits = { ...LIMITS, maxSourcePixels: 15_000 }; // over 120x100, under 128x128
    expect(await renderDerivative(grid, BIG_BOX, limits)).toEqual({
      ok: false,
      error: {
        code: 'too-many-pixels',
        message: 'The HEIC declares 128x128 = 16384 pixels; the limit is 15000 (MAX_SOURCE_PIXELS)',
      },
      source: { format: 'HEIC', width: 128, height: 128 },
    });
  });

  it('a grid whose tiles cannot cover its output is corrupt-image before decoding', async () => {
    const grid = Buffer.from(fixture('grid.heic'));
    const idat = grid.indexOf('idat', 0, 'latin1');
    grid.writeUInt16BE(60_000, idat + 4 + 4);
    const result = await renderDerivative(grid, BIG_BOX, LIMITS);
    expect(!result.ok && result.error.message).toBe(
      'The HEIC container could not be read: 2x2 tiles of 64x64 cannot cover 60000x100',
    );
  });

  it('the byte limit applies before anything is parsed', async () => {
    const result = await renderDerivative(fixture('plain.heic'), BIG_BOX, {
      ...LIMITS,
      maxSourceBytes: 1000,
    });
    expect(!result.ok && result.error.code).toBe('too-large');
  });

  it('a truncated upload (coded data cut off) is corrupt-image', async () => {
    const result = await renderDerivative(fixture('truncated.heic'), BIG_BOX, LIMITS);
    expect(result.ok).toBe(false);
    expect(!result.ok && result.error).toMatchObject({
      code: 'corrupt-image',
      message: 'The HEIC container could not be read: The data of HEVC item 1 is not all in the file',
    });
  });

  it.each([40, 300, 1000])('a file cut inside its container (%i bytes) is corrupt-image', async (length) => {
    const result = await renderDerivative(fixture('plain.heic').subarray(0, length), BIG_BOX, LIMITS);
    expect(!result.ok && result.error.code).toBe('corrupt-image');
  });

  it('garbage in the coded data is corrupt-image, not a crash', async () => {
    const broken = Buffer.from(fixture('plain.heic'));
    const mdat = broken.indexOf('mdat', 0, 'latin1');
    for (let at = mdat + 40; at < broken.length; at += 7) broken[at] = 0xff;
    const result = await renderDerivative(broken, BIG_BOX, LIMITS);
    // libde265 conceals some damage; whatever it does, the answer is a derivative or corrupt-image.
    expect(result.ok || result.error.code === 'corrupt-image').toBe(true);
  });

  it('a primary item of an unsupported coding is unsupported-format', async () => {
    const other = Buffer.from(fixture('plain.heic'));
    other.write('vvc1', other.indexOf('hvc1', 0, 'latin1'), 'latin1');
    const result = await renderDerivative(other, BIG_BOX, LIMITS);
    expect(!result.ok && result.error.code).toBe('unsupported-format');
  });

  it('a decode that overruns its time budget is stopped as transient, and the next decode still works', async () => {
    const plain = fixture('plain.heic');
    const primary = describePrimaryImage(readHeifContainer(plain));
    // Transient, not corrupt-image: on a loaded worker a valid photo can overrun a wall-clock budget.
    const stopped = decodeHeic(plain, primary, { maxPixels: LIMITS.maxSourcePixels, timeoutMs: 1 });
    await expect(stopped).rejects.toThrow(DecodeTimeoutError);
    await expect(stopped).rejects.toThrow('The HEIC decode did not finish within 1 ms and was stopped');
    await expect(stopped).rejects.toBeInstanceOf(ImageResourceError);
    const next = await decodeHeic(plain, primary, { maxPixels: LIMITS.maxSourcePixels });
    expect(next.ok && [next.decoded.width, next.decoded.height, next.decoded.heapBytes > 0]).toEqual([
      96,
      64,
      true,
    ]);
  });
});
