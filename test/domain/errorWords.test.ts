import { describe, expect, it } from 'vitest';
import { ERROR_WORDS } from '../../src/domain/errorWords';
import { ERROR_CODES } from '../../src/domain/types';
import { errorsModule } from '../../src/site/staticFiles';

describe('the one error vocabulary', () => {
  it('has words for every code; the unsupported formats are the refused ones, and HEIC is among those that work', () => {
    expect(Object.keys(ERROR_WORDS).sort()).toEqual([...ERROR_CODES].sort());
    const unsupported = ERROR_WORDS['unsupported-format'];
    expect(unsupported).toBe(
      'This picture format cannot be processed (BMP, Photoshop, icon, JPEG 2000, JPEG XL, SVG or PDF files); ' +
        'JPEG, PNG, WebP, GIF, TIFF, AVIF, HEIC or HEIF can.',
    );
  });

  it('the page module errors.js says exactly the same, and names an unknown code rather than inventing words', async () => {
    const module = (await import(
      `data:text/javascript;base64,${Buffer.from(errorsModule()).toString('base64')}`
    )) as { errorInWords: (code: string) => string };
    for (const code of ERROR_CODES) expect(module.errorInWords(code)).toBe(ERROR_WORDS[code]);
    expect(module.errorInWords('toString')).toBe('The image could not be processed (toString).');
  });
});
