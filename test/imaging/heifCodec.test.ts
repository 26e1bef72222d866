import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { detectFormat, renderDerivative } from '../../src/imaging';
import { heifCodec } from '../../src/imaging/heifCodec';
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

describe('heifCodec', () => {
  it('reads av01 from the item info of an AVIF written by libheif', async () => {
    expect(heifCodec(await makePhoto({ width: 16, height: 16, format: 'avif' }))).toBe('av1');
  });

  it('reads hvc1 as HEVC and finds nothing in files without item info', async () => {
    const heic = rewriteCode(await genericHeifHoldingAv1(), 'av01', 'hvc1');
    expect(heifCodec(heic)).toBe('hevc');
    expect(heifCodec(Buffer.from('ftypmif1 no item boxes here'))).toBe('unknown');
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

  it('rejects a HEVC-coded HEIF as unsupported-format before decoding', async () => {
    const heic = rewriteCode(await genericHeifHoldingAv1(), 'av01', 'hvc1');
    expect(await renderDerivative(heic, { width: 150, height: 150 }, LIMITS)).toEqual({
      ok: false,
      error: {
        code: 'unsupported-format',
        message: 'HEIC (HEVC-coded HEIF) images are not supported; use JPEG, PNG, WebP or AVIF',
      },
      source: { format: 'HEIC' },
    });
  });
});
