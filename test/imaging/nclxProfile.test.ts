/**
 * The ICC profile made from an nclx box: checked against libvips' own Display P3 profile (an independent
 * profile of the same colour space) by converting the same sRGB colours into each.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { iccProfileForNclx } from '../../src/imaging/heif/nclxProfile';

const COLOURS = [
  [230, 20, 20],
  [20, 200, 40],
  [40, 60, 200],
  [128, 128, 128],
  [250, 240, 10],
  [5, 5, 5],
] as const;

/** `rgb` (sRGB) converted into the colour space of `profile` (a file path or a libvips built-in name). */
async function intoProfile(rgb: readonly number[], profile: string): Promise<number[]> {
  const pixels = await sharp(Buffer.from(rgb), { raw: { width: 1, height: 1, channels: 3 } })
    .withIccProfile(profile)
    .raw()
    .toBuffer();
  return [...pixels];
}

describe('iccProfileForNclx', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'nclx-icc-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('P3 primaries with the sRGB curve match libvips built-in Display P3 to within 1 level', async () => {
    const icc = iccProfileForNclx({ primaries: 12, transfer: 13, matrix: 6, fullRange: true });
    if (icc === undefined) throw new Error('expected a profile for primaries 12');
    const file = path.join(dir, 'p3.icc');
    await writeFile(file, icc);
    expect(
      (
        await sharp(Buffer.from([0, 0, 0]), { raw: { width: 1, height: 1, channels: 3 } })
          .withIccProfile(file)
          .png()
          .toBuffer()
          .then((png) => sharp(png).metadata())
      ).icc?.length,
    ).toBe(icc.length); // lcms accepted it as is
    for (const colour of COLOURS) {
      const ours = await intoProfile(colour, file);
      const builtIn = await intoProfile(colour, 'p3');
      ours.forEach((value, index) => expect(Math.abs(value - (builtIn[index] ?? 0))).toBeLessThanOrEqual(1));
    }
    // Saturated red really moves (P3 numbers of an sRGB red are duller), so the check above is not vacuous.
    expect(await intoProfile([230, 20, 20], file)).not.toEqual([230, 20, 20]);
  });

  it('BT.2020 primaries with the BT.709 curve give the numbers of ITU-R BT.2087 arithmetic', async () => {
    const icc = iccProfileForNclx({ primaries: 9, transfer: 1, matrix: 9, fullRange: false });
    if (icc === undefined) throw new Error('expected a profile for primaries 9');
    const file = path.join(dir, 'bt2020.icc');
    await writeFile(file, icc);
    // sRGB (230, 20, 20): linear (0.791, 0.00699, 0.00699); BT.2087 matrix -> (0.4989, 0.0612, 0.0199);
    // BT.709 curve -> (179.7, 54.5, 22.7).
    const numbers = await intoProfile([230, 20, 20], file);
    [180, 54.5, 23].forEach((expected, index) =>
      expect(Math.abs((numbers[index] ?? 0) - expected)).toBeLessThanOrEqual(1),
    );
  });

  it('BT.709 and unspecified primaries are already sRGB-like: no profile', () => {
    expect(iccProfileForNclx({ primaries: 1, transfer: 13, matrix: 6, fullRange: true })).toBeUndefined();
    expect(iccProfileForNclx({ primaries: 2, transfer: 2, matrix: 2, fullRange: true })).toBeUndefined();
  });
});
