import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import {
  EXIF_ORIENTATIONS,
  MARKERS,
  makeNonImage,
  makePhoto,
  makePixelBomb,
  truncate,
  type PhotoFormat,
} from '../support/images';

describe('test image generators', () => {
  it.each<PhotoFormat>(['jpeg', 'png', 'webp', 'gif', 'tiff', 'avif'])(
    'makes a %s of the asked size',
    async (format) => {
      const metadata = await sharp(await makePhoto({ width: 40, height: 24, format })).metadata();
      expect(metadata.format).toBe(format === 'avif' ? 'heif' : format);
      expect([metadata.width, metadata.height]).toEqual([40, 24]);
    },
  );

  it.each(EXIF_ORIENTATIONS)(
    'stores orientation %i with swapped pixels where EXIF says so',
    async (orientation) => {
      const metadata = await sharp(
        await makePhoto({ width: 40, height: 24, format: 'jpeg', orientation }),
      ).metadata();
      expect(metadata.orientation ?? 1).toBe(orientation);
      expect([metadata.autoOrient.width, metadata.autoOrient.height]).toEqual([40, 24]);
      expect(metadata.width).toBe(orientation >= 5 ? 24 : 40);
    },
  );

  it('writes EXIF with GPS, XMP, CMYK, 16-bit and alpha when asked', async () => {
    const withGps = await sharp(
      await makePhoto({ width: 16, height: 16, format: 'jpeg', exif: { gps: true, xmp: true } }),
    ).metadata();
    expect(withGps.exif?.includes(Buffer.from('TestCam'))).toBe(true);
    expect(withGps.xmpAsString).toContain('test-support-xmp');
    const cmyk = await sharp(
      await makePhoto({ width: 16, height: 16, format: 'jpeg', cmyk: true }),
    ).metadata();
    expect([cmyk.space, cmyk.channels]).toEqual(['cmyk', 4]);
    const deep = await sharp(
      await makePhoto({ width: 16, height: 16, format: 'png', sixteenBit: true }),
    ).metadata();
    expect([deep.depth, deep.bitsPerSample]).toEqual(['ushort', 16]);
    const alpha = await sharp(
      await makePhoto({ width: 16, height: 16, format: 'png', alpha: true }),
    ).metadata();
    expect(alpha.hasAlpha).toBe(true);
  });

  it('makes a pixel bomb whose header declares far more pixels than its size', async () => {
    const bomb = await makePixelBomb();
    const metadata = await sharp(bomb.data, { limitInputPixels: false }).metadata();
    expect([metadata.format, metadata.width, metadata.height]).toEqual(['png', bomb.width, bomb.height]);
    expect(bomb.data.length).toBeLessThan(1_000_000);
    expect(bomb.decodedRgbBytes).toBeGreaterThan(2_000_000_000);
  });

  it('truncates and makes non-images', () => {
    expect(truncate(Buffer.from('abcdefghij'), 0.5).toString()).toBe('abcde');
    expect(makeNonImage().toString()).toContain('not an image');
  });
});

describe('orientation layout agrees with libvips', () => {
  it.each(EXIF_ORIENTATIONS)(
    'orientation %i shows the markers at the top corners once auto-oriented',
    async (orientation) => {
      const photo = await makePhoto({ width: 60, height: 40, format: 'png', orientation });
      const { data, info } = await sharp(photo).autoOrient().raw().toBuffer({ resolveWithObject: true });
      const at = (x: number, y: number) => [
        ...data.subarray((y * info.width + x) * info.channels, (y * info.width + x) * info.channels + 3),
      ];
      expect([info.width, info.height]).toEqual([60, 40]);
      expect(at(2, 2)).toEqual([...MARKERS.topLeft]);
      expect(at(57, 2)).toEqual([...MARKERS.topRight]);
    },
  );
});
