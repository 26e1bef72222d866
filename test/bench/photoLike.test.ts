import { describe, expect, it } from 'vitest';
import { photoLikePixels } from '../../bench/corpus/photoLike';

describe('photoLikePixels', () => {
  it('is deterministic per seed', () => {
    expect(photoLikePixels(64, 48, 1).equals(photoLikePixels(64, 48, 1))).toBe(true);
    expect(photoLikePixels(64, 48, 1).equals(photoLikePixels(64, 48, 2))).toBe(false);
  });

  it('has photo-like entropy: many distinct values per channel, not flat colour', () => {
    const pixels = photoLikePixels(96, 64, 7);
    expect(pixels.length).toBe(96 * 64 * 3);
    for (let channel = 0; channel < 3; channel += 1) {
      const values = new Set<number>();
      for (let index = channel; index < pixels.length; index += 3) values.add(pixels[index] as number);
      expect(values.size).toBeGreaterThan(40);
    }
  });
});
