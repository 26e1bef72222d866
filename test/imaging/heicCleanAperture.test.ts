/**
 * HEIC with a clean aperture (`clap`), which libheif 1.23 cannot crop itself (strukturag/libheif#1856): the
 * decoder gets a copy without it and the crop is made after the decode. Fixtures (makeFixtures.ts): 1200x800
 * coded, a 600x400 aperture off-centre with a red marker at its top-left and a green one at its top-right;
 * beside each, heif-convert's (libheif 1.15) picture of it as the reference.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { renderDerivative, type SourceLimits } from '../../src/imaging';
import { readHeifContainer } from '../../src/imaging/heif/container';
import { withoutCleanAperture } from '../../src/imaging/heif/cleanAperture';
import { decodeHeic } from '../../src/imaging/heif/decodeHeic';
import { describePrimaryImage } from '../../src/imaging/heif/primaryImage';
import { probeHeader } from '../../src/imaging/probeHeader';
import { colourDistance, decode, pixelAt, type DecodedImage } from './pixels';

const LIMITS: SourceLimits = { maxSourceBytes: 50 * 1024 * 1024, maxSourcePixels: 50_000_000 };
const RED: [number, number, number] = [230, 20, 20];
const GREEN: [number, number, number] = [20, 220, 40];

function fixture(name: string): Buffer {
  return readFileSync(path.join(__dirname, '../fixtures/heic', name));
}

async function decodeFixture(name: string, shrinkFor?: { width: number; height: number }) {
  const source = fixture(name);
  const primary = describePrimaryImage(readHeifContainer(source));
  const result = await decodeHeic(source, primary, {
    maxPixels: LIMITS.maxSourcePixels,
    ...(shrinkFor === undefined ? {} : { shrinkFor }),
  });
  if (!result.ok) throw new Error(result.error.message);
  return { image: await decode(result.decoded.tiff), shrink: result.decoded.shrink };
}

/** Mean absolute difference per channel value (RGB) of two images of the same size. */
function meanDifference(a: DecodedImage, b: DecodedImage): number {
  expect([a.width, a.height]).toEqual([b.width, b.height]);
  let total = 0;
  for (let y = 0; y < a.height; y += 1)
    for (let x = 0; x < a.width; x += 1) {
      const p = pixelAt(a, x, y);
      const q = pixelAt(b, x, y);
      for (let c = 0; c < 3; c += 1) total += Math.abs((p[c] ?? 0) - (q[c] ?? 0));
    }
  return total / (a.width * a.height * 3);
}

describe('HEIC with a clean aperture (clap)', () => {
  it('the header gives the cropped size, the pixel budget the coded size (ispe)', async () => {
    const primary = describePrimaryImage(readHeifContainer(fixture('clap.heic')));
    expect([primary.storedWidth, primary.storedHeight, primary.width, primary.height]).toEqual([
      1200, 800, 600, 400,
    ]);
    expect(primary.cleanAperture).toEqual({ left: 500, top: 300, frameWidth: 1200, frameHeight: 800 });
    const probed = await probeHeader(fixture('clap.heic'), 'HEIC', LIMITS);
    expect(probed.ok && [probed.header.width, probed.header.height]).toEqual([600, 400]);
    // 1200x800 = 960,000 pixels: over a budget of 500,000 although the displayed image is 240,000.
    const tight = await probeHeader(fixture('clap.heic'), 'HEIC', { ...LIMITS, maxSourcePixels: 500_000 });
    expect(!tight.ok && tight.error.code).toBe('too-many-pixels');
  });

  it('libheif itself fails on it; the copy it is handed has the clap box renamed free, nothing else moved', async () => {
    const source = fixture('clap.heic');
    const primary = describePrimaryImage(readHeifContainer(source));
    const copy = withoutCleanAperture(source);
    expect(copy.length).toBe(source.length);
    expect(readHeifContainer(copy).properties.map((box) => box.type)).toEqual(
      readHeifContainer(source).properties.map((box) => (box.type === 'clap' ? 'free' : box.type)),
    );
    const differing = [...source].flatMap((byte, index) => (byte === copy[index] ? [] : [index]));
    expect(differing.length).toBeLessThanOrEqual(4);
    // Without the workaround: libheif 1.23's own crop is refused (if this starts passing, libheif is fixed).
    const withoutCrop = { ...primary };
    delete withoutCrop.cleanAperture;
    const direct = await decodeHeic(source, withoutCrop, { maxPixels: LIMITS.maxSourcePixels });
    expect(!direct.ok && direct.error.message).toMatch(/Security limit exceeded/);
  });

  it('decodes to the aperture, pixels and markers where heif-convert puts them', async () => {
    const { image } = await decodeFixture('clap.heic');
    expect([image.width, image.height]).toEqual([600, 400]);
    const reference = await decode(fixture('clap.png'));
    expect(meanDifference(image, reference)).toBeLessThan(1.5);
    expect(colourDistance(pixelAt(reference, 30, 30), RED)).toBeLessThan(40);
    expect(colourDistance(pixelAt(image, 30, 30), RED)).toBeLessThan(40);
    expect(colourDistance(pixelAt(image, 570, 30), GREEN)).toBeLessThan(40);
    // The marker's edges (10 and 49 from the aperture's corner) are where the reference has them.
    for (const [x, y] of [
      [9, 30],
      [10, 30],
      [49, 30],
      [50, 30],
      [30, 9],
      [30, 10],
    ] as const) {
      expect(
        colourDistance(pixelAt(image, x, y), pixelAt(reference, x, y) as [number, number, number]),
      ).toBeLessThan(40);
    }
  });

  it('crop, then irot: displayed 400x600 with the markers down the left side, as heif-convert shows it', async () => {
    const { image } = await decodeFixture('clap-irot-90.heic');
    expect([image.width, image.height]).toEqual([400, 600]);
    const reference = await decode(fixture('clap-irot-90.png'));
    expect(meanDifference(image, reference)).toBeLessThan(1.5);
    // A quarter turn anticlockwise: the aperture's top-left goes to the bottom-left, its top-right to the top-left.
    expect(colourDistance(pixelAt(image, 30, 569), RED)).toBeLessThan(40);
    expect(colourDistance(pixelAt(image, 30, 30), GREEN)).toBeLessThan(40);
    expect(colourDistance(pixelAt(reference, 30, 569), RED)).toBeLessThan(40);
  });

  it('through the decoder shrink: the aperture of the shrunk frame, the same picture at half size', async () => {
    const { image, shrink } = await decodeFixture('clap.heic', { width: 150, height: 100 });
    expect([shrink, image.width, image.height]).toEqual([2, 300, 200]);
    const reference = await decode(
      await sharp(fixture('clap.png')).resize(300, 200, { kernel: 'cubic' }).png().toBuffer(),
    );
    expect(meanDifference(image, reference)).toBeLessThan(3);
    expect(colourDistance(pixelAt(image, 15, 15), RED)).toBeLessThan(40);
    expect(colourDistance(pixelAt(image, 285, 15), GREEN)).toBeLessThan(40);
  });

  it('renders derivatives of the displayed size, upright, from the cropped pixels', async () => {
    const result = await renderDerivative(fixture('clap-irot-90.heic'), { width: 640, height: 640 }, LIMITS);
    if (!result.ok) throw new Error(result.error.message);
    const image = await decode(result.derivative.data);
    expect([image.width, image.height]).toEqual([400, 600]);
    expect(colourDistance(pixelAt(image, 30, 569), RED)).toBeLessThan(40);
    expect(colourDistance(pixelAt(image, 30, 30), GREEN)).toBeLessThan(40);
  });
});
