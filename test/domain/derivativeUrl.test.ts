import { describe, expect, it } from 'vitest';
import { derivativeUrl } from '../../src/domain/blobPath';

const BASE = 'https://fde-test.z01.azurefd.net/images-processed';
/** The blob's own URL: what `url` would be without DERIVATIVE_BASE_URL; never used when a base is set. */
const BLOB_URL = 'https://stdrv.blob.core.windows.net/images-processed/ignored';

describe('derivativeUrl with DERIVATIVE_BASE_URL', () => {
  it('keeps the `/` between segments and leaves safe characters as they are', () => {
    expect(derivativeUrl(BLOB_URL, 'users/42/cat_thumb.jpg', BASE)).toBe(`${BASE}/users/42/cat_thumb.jpg`);
  });

  it('percent-encodes spaces and non-ASCII as UTF-8 in each segment', () => {
    expect(derivativeUrl(BLOB_URL, 'users/42/Été 2026/mon chat é_thumb.webp', BASE)).toBe(
      `${BASE}/users/42/%C3%89t%C3%A9%202026/mon%20chat%20%C3%A9_thumb.webp`,
    );
    expect(derivativeUrl(BLOB_URL, '猫/写真_medium.jpg', BASE)).toBe(
      `${BASE}/%E7%8C%AB/%E5%86%99%E7%9C%9F_medium.jpg`,
    );
  });

  it('never lets a name become a query, a fragment or an escape', () => {
    const url = derivativeUrl(BLOB_URL, 'a?b/c#d/100%/e+f_thumb.jpg', BASE);
    expect(url).toBe(`${BASE}/a%3Fb/c%23d/100%25/e%2Bf_thumb.jpg`);
    const parsed = new URL(url);
    expect(parsed.search).toBe('');
    expect(parsed.hash).toBe('');
    expect(decodeURIComponent(parsed.pathname)).toBe('/images-processed/a?b/c#d/100%/e+f_thumb.jpg');
  });
});
