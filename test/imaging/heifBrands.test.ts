/**
 * The brand in `ftyp` is a claim; the primary item's type decides the decoder: `hvc1` → the HEIC decoder
 * (libheif in WebAssembly), `av01` → sharp's AVIF. Fixtures: test/fixtures/heic/makeContainerFixtures.ts.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { detectFormat, renderDerivative, type SourceLimits } from '../../src/imaging';
import { decode } from './pixels';

const LIMITS: SourceLimits = { maxSourceBytes: 10_000_000, maxSourcePixels: 10_000_000 };
const BOX = { width: 640, height: 640 };

function fixture(name: string): Buffer {
  return readFileSync(path.join(__dirname, '../fixtures/heic', name));
}

describe('HEIF: the primary item, not the brand, picks the decoder', () => {
  it('HEVC data branded avif goes to the HEIC decoder: the same pixels as the file branded heic', async () => {
    const rebranded = fixture('hevc-branded-avif.avif');
    expect(detectFormat(rebranded)).toEqual({ kind: 'decodable', format: 'AVIF' });
    const result = await renderDerivative(rebranded, BOX, LIMITS);
    const original = await renderDerivative(fixture('plain.heic'), BOX, LIMITS);
    if (!result.ok || !original.ok)
      throw new Error(JSON.stringify([result, original].map((r) => r.ok || r.error)));
    expect(result.derivative.source).toEqual({ format: 'HEIC', width: 96, height: 64, hasAlpha: false });
    expect([result.derivative.format, result.derivative.width, result.derivative.height]).toEqual([
      'jpeg',
      96,
      64,
    ]);
    expect(
      (await decode(result.derivative.data)).data.equals((await decode(original.derivative.data)).data),
    ).toBe(true);
  });

  it('AV1 data branded heic goes to sharp as AVIF', async () => {
    const rebranded = fixture('av1-branded-heic.heic');
    expect(detectFormat(rebranded)).toEqual({ kind: 'decodable', format: 'HEIC' });
    const result = await renderDerivative(rebranded, BOX, LIMITS);
    expect(
      result.ok && [result.derivative.source, result.derivative.width, result.derivative.height],
    ).toEqual([{ format: 'AVIF', width: 96, height: 64, hasAlpha: false }, 96, 64]);
  });
});
