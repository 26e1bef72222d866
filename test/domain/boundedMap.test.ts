import { describe, expect, it } from 'vitest';
import { mapBounded } from '../../src/domain/boundedMap';

describe('mapBounded', () => {
  it('keeps at most `limit` calls pending and returns results in input order', async () => {
    let pending = 0;
    let peak = 0;
    const results = await mapBounded([50, 10, 30, 0, 20, 5, 40], 3, async (ms, index) => {
      pending += 1;
      peak = Math.max(peak, pending);
      await new Promise((resolve) => setTimeout(resolve, ms));
      pending -= 1;
      return `${index}:${ms}`;
    });
    expect(peak).toBe(3);
    expect(results).toEqual(['0:50', '1:10', '2:30', '3:0', '4:20', '5:5', '6:40']);
  });

  it('rejects with the first failure and starts nothing after it', async () => {
    const seen: number[] = [];
    await expect(
      mapBounded([1, 2, 3, 4, 5], 1, (value) => {
        seen.push(value);
        return value === 2 ? Promise.reject(new Error('two')) : Promise.resolve(value);
      }),
    ).rejects.toThrow('two');
    expect(seen).toEqual([1, 2]);
    expect(await mapBounded([], 4, () => Promise.resolve(1))).toEqual([]);
  });
});
