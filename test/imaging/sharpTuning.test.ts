import sharp from 'sharp';
import { afterEach, describe, expect, it } from 'vitest';
import { configureSharp } from '../../src/imaging';

describe('configureSharp', () => {
  const before = { concurrency: sharp.concurrency(), cache: sharp.cache() };
  afterEach(() => {
    sharp.concurrency(before.concurrency);
    sharp.cache({
      memory: before.cache.memory.max,
      files: before.cache.files.max,
      items: before.cache.items.max,
    });
  });

  it.each([
    [2, 4, 1],
    [8, 4, 2],
    [16, 4, 4],
    [8, 1, 8],
    [2, 1, 2],
    [3, 2, 1],
  ])(
    '%i cores, %i activities -> %i libvips threads per image, op cache off',
    (cores, activityConcurrency, threads) => {
      const tuning = configureSharp({ activityConcurrency, cores });
      expect(tuning).toEqual({ threadsPerImage: threads, activityConcurrency, cores });
      expect(sharp.concurrency()).toBe(threads);
      const cache = sharp.cache();
      expect([cache.memory.max, cache.files.max, cache.items.max]).toEqual([0, 0, 0]);
    },
  );

  it('defaults to the cores of this machine', async () => {
    const { availableParallelism } = await import('node:os');
    expect(configureSharp({ activityConcurrency: 4 }).cores).toBe(availableParallelism());
  });

  it('rejects a non-positive activity concurrency with its name', () => {
    expect(() => configureSharp({ activityConcurrency: 0 })).toThrow(
      'Expected a positive integer for activityConcurrency but received 0',
    );
  });
});
