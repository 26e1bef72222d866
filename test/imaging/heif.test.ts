import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { detectFormat, renderDerivative } from '../../src/imaging';
import { HeifFormatError, readHeifContainer } from '../../src/imaging/heif/container';
import { describePrimaryImage } from '../../src/imaging/heif/primaryImage';
import { makePhoto } from '../support/images';

const LIMITS = { maxSourceBytes: 10_000_000, maxSourcePixels: 10_000_000 };

/** Rewrites every 4-byte code `from` inside the first `within` bytes (same length, so offsets stay valid). */
function rewriteCode(file: Buffer, from: string, to: string, within = file.length): Buffer {
  const copy = Buffer.from(file);
  for (
    let at = copy.indexOf(from, 0, 'latin1');
    at !== -1 && at < within;
    at = copy.indexOf(from, at + 4, 'latin1')
  ) {
    copy.write(to, at, 'latin1');
  }
  return copy;
}

/** An AVIF whose ftyp names no codec (`mif1`/`miaf` only), as some HEIF writers produce. */
async function genericHeifHoldingAv1(): Promise<Buffer> {
  const avif = await makePhoto({ width: 200, height: 100, format: 'avif' });
  return rewriteCode(avif, 'avif', 'mif1', avif.readUInt32BE(0));
}

describe('HEIF container reader', () => {
  it('reads the primary item of an AVIF written by libheif: AV1, its ispe size', async () => {
    const primary = describePrimaryImage(
      readHeifContainer(await makePhoto({ width: 40, height: 24, format: 'avif' })),
    );
    expect([primary.codec, primary.itemType, primary.width, primary.height]).toEqual(['av1', 'av01', 40, 24]);
  });

  it.each([
    ['no meta box', Buffer.from('\0\0\0\x10ftypmif1\0\0\0\0', 'latin1')],
    ['not starting with ftyp', Buffer.from('\0\0\0\x10moovmif1\0\0\0\0', 'latin1')],
    ['a box larger than the file', Buffer.from('\0\0\0\x10ftypmif1\0\0\0\0\0\0\x10\0meta', 'latin1')],
  ])('rejects %s with a HeifFormatError', (_, bytes) => {
    expect(() => readHeifContainer(bytes)).toThrow(HeifFormatError);
  });
});

describe('renderDerivative on HEIF containers', () => {
  it('decodes a generic-brand HEIF holding AV1 and reports it as AVIF (libvips itself would say "hevc")', async () => {
    const generic = await genericHeifHoldingAv1();
    expect(detectFormat(generic)).toEqual({ kind: 'decodable', format: 'HEIF' });
    expect((await sharp(generic).metadata()).compression).toBe('hevc');
    const result = await renderDerivative(generic, { width: 150, height: 150 }, LIMITS);
    expect(
      result.ok && [result.derivative.source.format, result.derivative.format, result.derivative.width],
    ).toEqual(['AVIF', 'jpeg', 150]);
  });

  it('an AV1 payload relabelled hvc1 goes to the HEVC decoder, which refuses it as corrupt-image', async () => {
    const mislabelled = rewriteCode(await genericHeifHoldingAv1(), 'av01', 'hvc1');
    const result = await renderDerivative(mislabelled, { width: 150, height: 150 }, LIMITS);
    expect(!result.ok && result.error.code).toBe('corrupt-image');
  });
});
