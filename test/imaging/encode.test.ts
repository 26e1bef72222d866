import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { encodeAs } from '../../src/imaging/encode';
import { JPEG_OUTPUT, PNG_OUTPUT, WEBP_OUTPUT } from '../../src/imaging/outputEncoding';
import { MARKERS, makePhoto } from '../support/images';
import { colourDistance, decode, pixelAt } from './pixels';

describe('encodeAs', () => {
  it('flattens transparency onto white when the output (JPEG) has no alpha channel', async () => {
    const withAlpha = await makePhoto({ width: 120, height: 80, format: 'png', alpha: true });
    const jpeg = await encodeAs(sharp(withAlpha), JPEG_OUTPUT).toBuffer();
    const metadata = await sharp(jpeg).metadata();
    expect([metadata.format, metadata.channels, metadata.hasAlpha]).toEqual(['jpeg', 3, false]);
    const image = await decode(jpeg);
    // The transparent bottom-right quadrant is white, the opaque marker keeps its colour.
    expect(colourDistance(pixelAt(image, 100, 70), [255, 255, 255])).toBeLessThan(8);
    expect(colourDistance(pixelAt(image, 3, 3), MARKERS.topLeft)).toBeLessThan(40);
  });

  it.each([
    ['png', PNG_OUTPUT],
    ['webp', WEBP_OUTPUT],
  ] as const)('keeps alpha when the output (%s) has it', async (format, encoding) => {
    const withAlpha = await makePhoto({ width: 120, height: 80, format: 'png', alpha: true });
    const image = await decode(await encodeAs(sharp(withAlpha), encoding).toBuffer());
    expect(image.channels).toBe(4);
    expect(pixelAt(image, 100, 70)[3]).toBe(0);
    expect(pixelAt(image, 3, 3)[3]).toBe(255);
    expect((await sharp(await encodeAs(sharp(withAlpha), encoding).toBuffer()).metadata()).format).toBe(
      format,
    );
  });

  it('writes baseline JPEG with optimised Huffman tables, 4:2:0, at the chosen quality', async () => {
    const photo = await makePhoto({ width: 64, height: 64, format: 'png' });
    const metadata = await sharp(await encodeAs(sharp(photo), JPEG_OUTPUT).toBuffer()).metadata();
    expect([metadata.isProgressive, metadata.chromaSubsampling]).toEqual([false, '4:2:0']);
  });
});
