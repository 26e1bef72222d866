import { describe, expect, it } from 'vitest';
import { median, percentile } from '../../bench/stats';

describe('bench statistics', () => {
  it('takes nearest-rank percentiles, so every figure is a real sample', () => {
    const samples = [50, 10, 40, 20, 30, 60, 70, 80, 90, 100];
    expect(percentile(samples, 50)).toBe(50);
    expect(percentile(samples, 95)).toBe(100);
    expect(percentile(samples, 10)).toBe(10);
    expect(percentile([7], 95)).toBe(7);
    expect(percentile([], 50)).toBeNaN();
  });

  it('takes the median of odd and even sample counts without reordering the input', () => {
    const samples = [3, 1, 2];
    expect(median(samples)).toBe(2);
    expect(samples).toEqual([3, 1, 2]);
    expect(median([4, 1, 3, 2])).toBe(2.5);
  });
});
