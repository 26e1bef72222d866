/**
 * Every image libheif decodes with the primary (alpha planes, grid tiles, as their HEVC data codes them)
 * counts, and one that would make the decode larger than the container declares is refused from the container
 * before any decoder runs. Fixtures: test/fixtures/heic/makeContainerFixtures.ts (heif-enc output attached
 * to plain.heic / grid.heic).
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { renderDerivative, type SourceLimits } from '../../src/imaging';
import { readHeifContainer } from '../../src/imaging/heif/container';
import { decodeAdmission, HEIC_DECODE_BYTES_PER_PIXEL } from '../../src/imaging/decodeAdmission';
import {
  HEIC_DECODE_BYTES_PER_CODED_BYTE,
  heicDecodeBytes,
  heicDecodeTimeoutMs,
} from '../../src/imaging/heif/decodeCost';
import { withoutCleanAperture } from '../../src/imaging/heif/cleanAperture';
import { heicDecodeSlots } from '../../src/imaging/heif/decodeHeic';
import { describePrimaryImage } from '../../src/imaging/heif/primaryImage';
import { spsPictureSize } from '../../src/imaging/heif/hevcData';

const LIMITS: SourceLimits = { maxSourceBytes: 50 * 1024 * 1024, maxSourcePixels: 50_000_000 };
const BOX = { width: 640, height: 640 };

function fixture(name: string): Buffer {
  return readFileSync(path.join(__dirname, '../fixtures/heic', name));
}

describe('HEIC decode work: what libheif decodes beside the primary counts', () => {
  it('an alpha plane counts beside its image: pixels, coded pixels and coded bytes', () => {
    const container = readHeifContainer(fixture('alpha.heic'));
    const primary = describePrimaryImage(container);
    const { images, pixels, codedPixels, codedBytes } = primary.decode;
    expect(images.map((image) => image.role)).toEqual(['image', 'alpha']);
    // x265 codes whole 8x8 blocks: 96x64 needs no padding.
    expect(images.map((image) => `${image.width}x${image.height}`)).toEqual(['96x64', '96x64']);
    expect(pixels).toBe(2 * 96 * 64);
    expect(codedPixels).toBe(2 * 96 * 64);
    const dataBytes = images
      .map((image) => container.items.get(image.itemId)?.extents.reduce((sum, e) => sum + e.length, 0) ?? 0)
      .reduce((sum, bytes) => sum + bytes, 0);
    expect(codedBytes).toBe(dataBytes);
    expect(codedBytes).toBeGreaterThan(0);
  });

  it('a grid counts its canvas for memory and every tile for the work', () => {
    const { decode } = describePrimaryImage(readHeifContainer(fixture('grid.heic')));
    expect(decode.images.map((image) => image.role)).toEqual(['tile', 'tile', 'tile', 'tile']);
    expect(decode.pixels).toBe(120 * 100);
    expect(decode.codedPixels).toBe(4 * 64 * 64);
  });

  it('the sequence parameter set gives the coded size (plain.heic: 96x64)', () => {
    const file = fixture('plain.heic');
    const container = readHeifContainer(file);
    const hvcC = container.properties.find((box) => box.type === 'hvcC');
    expect(hvcC).toBeDefined();
    // The SPS is the second array of heif-enc's hvcC (VPS, SPS, PPS): find its NAL unit by type 33.
    const body = file.subarray(hvcC?.body ?? 0, hvcC?.end ?? 0);
    let at = 23;
    let sps: Buffer | undefined;
    for (let array = 0; array < (body[22] ?? 0); array += 1) {
      const type = (body[at] ?? 0) & 0x3f;
      const count = body.readUInt16BE(at + 1);
      at += 3;
      for (let index = 0; index < count; index += 1) {
        const length = body.readUInt16BE(at);
        if (type === 33) sps = body.subarray(at + 2, at + 2 + length);
        at += 2 + length;
      }
    }
    expect(sps && spsPictureSize(sps, 1)).toEqual({ width: 96, height: 64 });
  });

  it.each([
    [
      'alpha-plane-larger.heic',
      'an alpha plane declaring and coding 2048x1536 behind a 96x64 image',
      /The alpha plane 60 is 2048x1536, larger than its 96x64 image/,
    ],
    [
      'alpha-plane-codes-larger.heic',
      'an alpha plane declaring 96x64 whose HEVC data codes 2048x1536',
      /Item 60 declares 96x64 but its HEVC data codes 2048x1536/,
    ],
    [
      'grid-tile-larger.heic',
      'a grid whose fourth tile is 2048x1536 among 64x64 tiles',
      /The grid item 1 has tiles of 64x64 and 2048x1536/,
    ],
  ])('%s (%s) is corrupt-image from the container, no decode started', async (name, _what, message) => {
    const before = heicDecodeSlots();
    const result = await renderDerivative(fixture(name), BOX, LIMITS);
    expect(!result.ok && result.error).toEqual({
      code: 'corrupt-image',
      message: expect.stringMatching(message) as unknown,
    });
    expect(!result.ok && result.error.message).toMatch(/^The HEIC container could not be read/);
    expect(heicDecodeSlots()).toEqual(before);
  });

  it('MAX_SOURCE_PIXELS limits the image, not image + alpha: 96x64 with its alpha passes a 96x64 limit', async () => {
    const file = fixture('alpha.heic');
    const atLimit = await renderDerivative(file, BOX, { ...LIMITS, maxSourcePixels: 96 * 64 });
    expect(atLimit.ok).toBe(true);
    const result = await renderDerivative(file, BOX, { ...LIMITS, maxSourcePixels: 96 * 64 - 1 });
    expect(!result.ok && result.error.code).toBe('too-many-pixels');
  });

  it('the admission reserves the decoded pixels AND the coded bytes of every image, while the decode runs', async () => {
    const file = fixture('alpha.heic');
    const { decode } = describePrimaryImage(readHeifContainer(file));
    const expected =
      2 * 96 * 64 * HEIC_DECODE_BYTES_PER_PIXEL + decode.codedBytes * HEIC_DECODE_BYTES_PER_CODED_BYTE;
    expect(heicDecodeBytes(decode)).toBe(expected);
    expect(decodeAdmission().state().heldBytes).toBe(0);
    const render = renderDerivative(file, BOX, LIMITS);
    let held = 0;
    for (let turn = 0; turn < 10_000 && held === 0; turn += 1) {
      await new Promise((resolve) => setImmediate(resolve));
      held = decodeAdmission().state().heldBytes;
    }
    expect(held).toBe(expected);
    expect((await render).ok).toBe(true);
  });

  it('the timeout grows with coded pixels and coded bytes (a 12-MP, 10.8-MB file: 66 s)', () => {
    expect(heicDecodeTimeoutMs({ codedPixels: 12_192_768, codedBytes: 10_826_081 })).toBe(66_000);
    expect(heicDecodeTimeoutMs({ codedPixels: 12_192_768, codedBytes: 2_000_000 })).toBe(39_000);
    const { decode } = describePrimaryImage(readHeifContainer(fixture('alpha.heic')));
    expect(heicDecodeTimeoutMs(decode)).toBe(20_000 + 1_000 + 3_000);
  });

  it('the clean-aperture copy of a small file is alone in its ArrayBuffer, so it can move to the thread', () => {
    const file = fixture('clap.heic');
    const copy = withoutCleanAperture(file);
    expect([copy.byteOffset, copy.buffer.byteLength]).toEqual([0, file.length]);
    expect(copy.indexOf('clap', 0, 'latin1')).toBe(-1);
    expect(file.indexOf('clap', 0, 'latin1')).toBeGreaterThan(0);
  });
});
