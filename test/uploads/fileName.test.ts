import { describe, expect, it } from 'vitest';
import { blobNameProblem } from '../../src/events/blobName';
import { MAX_SAFE_FILE_NAME_LENGTH, safeFileName } from '../../src/uploads/fileName';

describe('safeFileName', () => {
  it.each([
    ['cat.jpg', 'cat.jpg'],
    ['IMG_0001.JPG', 'IMG_0001.JPG'],
    ['C:\\fakepath\\holiday.png', 'holiday.png'],
    ['../../etc/passwd', 'passwd'],
    ['a/b/../c.jpg', 'c.jpg'],
    ['..', 'image'],
    ['.jpg', 'image.jpg'],
    ['photo.', 'photo'],
    ['.hidden.jpg', 'hidden.jpg'],
    ['my photo (1).jpg', 'my-photo-(1).jpg'],
    ['tab\there\nnew.jpg', 'tabherenew.jpg'],
    ['gpj.\u202eexe.jpg', 'gpj.exe.jpg'],
    ['résumé café.jpeg', 'résumé-café.jpeg'],
    ['e\u0301.png', 'é.png'],
    ['写真.heic', '写真.heic'],
    ['a%2F..%2Fb.jpg', 'a-2F.-2Fb.jpg'],
    ['???', 'image'],
    // Hangul fillers are letters that render as nothing: a name of them is no name.
    ['\u3164\u3164.jpg', 'image.jpg'],
    ['cat\u2800\u115f.png', 'cat.png'],
    ['', 'image'],
  ])('%j → %j', (input, expected) => {
    expect(safeFileName(input)).toBe(expected);
  });

  it(`keeps at most ${MAX_SAFE_FILE_NAME_LENGTH} characters, extension included, without splitting a character`, () => {
    const long = safeFileName(`${'a'.repeat(300)}.jpeg`);
    expect(long).toHaveLength(MAX_SAFE_FILE_NAME_LENGTH);
    expect(long.endsWith('.jpeg')).toBe(true);
    const astral = safeFileName(`${'𝒜'.repeat(150)}.png`);
    expect([...astral]).toHaveLength(MAX_SAFE_FILE_NAME_LENGTH);
    expect(astral.endsWith('𝒜.png')).toBe(true);
    expect(safeFileName(`${'😀'.repeat(5)}.png`)).toBe('image.png');
  });

  it('every result is a valid source blob name segment', () => {
    for (const name of ['..', '.', 'a\u0000b', '/', '\\', 'x'.repeat(2000), ' . ']) {
      const safe = safeFileName(name);
      expect(blobNameProblem(`users/u/0123456789abcdef-${safe}`)).toBeUndefined();
      expect(safe).not.toMatch(/[/\\]/);
    }
  });
});
