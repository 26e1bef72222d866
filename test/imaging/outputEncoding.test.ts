import { describe, expect, it } from 'vitest';
import { chooseEncoding } from '../../src/imaging';
import type { DecodableFormat } from '../../src/imaging';
import { usesTransparency } from '../../src/imaging/transparency';

describe('chooseEncoding', () => {
  it.each<[DecodableFormat, boolean, string, string, string]>([
    ['JPEG', false, 'jpeg', 'image/jpeg', 'jpg'],
    ['PNG', false, 'png', 'image/png', 'png'],
    ['PNG', true, 'png', 'image/png', 'png'],
    ['WEBP', false, 'webp', 'image/webp', 'webp'],
    ['WEBP', true, 'webp', 'image/webp', 'webp'],
    ['GIF', false, 'jpeg', 'image/jpeg', 'jpg'],
    ['GIF', true, 'png', 'image/png', 'png'],
    ['TIFF', false, 'jpeg', 'image/jpeg', 'jpg'],
    ['TIFF', true, 'png', 'image/png', 'png'],
    ['AVIF', false, 'jpeg', 'image/jpeg', 'jpg'],
    ['AVIF', true, 'png', 'image/png', 'png'],
    ['HEIF', true, 'png', 'image/png', 'png'],
  ])('%s (transparency %s) -> %s, %s, .%s', (source, transparency, format, contentType, extension) => {
    expect(chooseEncoding(source, transparency)).toEqual({ format, contentType, extension });
  });
});

describe('usesTransparency', () => {
  it('finds an alpha below 255 in RGBA and grey+alpha, and ignores layouts without alpha', () => {
    expect(usesTransparency(Uint8Array.from([1, 2, 3, 255, 4, 5, 6, 254]), 4)).toBe(true);
    expect(usesTransparency(Uint8Array.from([1, 2, 3, 255, 4, 5, 6, 255]), 4)).toBe(false);
    expect(usesTransparency(Uint8Array.from([9, 255, 9, 0]), 2)).toBe(true);
    expect(usesTransparency(Uint8Array.from([0, 0, 0, 0, 0, 0]), 3)).toBe(false);
  });
});
