import { describe, expect, it } from 'vitest';
import { DEFAULT_SIZES, MAX_LABELS, parseRetiredSizes, parseSizes } from '../../src/config/sizes';
import { SettingError } from '../../src/domain/errors';

const parse = (value: unknown) => parseSizes('IMAGE_SIZES', JSON.stringify(value));

/** The whole message of the SettingError `work` throws (`toThrow(string)` would accept a substring). */
function settingErrorOf(work: () => unknown): string {
  try {
    work();
  } catch (error) {
    expect(error).toBeInstanceOf(SettingError);
    return (error as SettingError).message;
  }
  throw new Error('expected a SettingError, nothing was thrown');
}

describe('IMAGE_SIZES: renditions', () => {
  it('defaults to the three boxes of the job it replaces, inside, in the source format', () => {
    expect(parseSizes('IMAGE_SIZES', undefined)).toEqual([
      { label: 'thumb', width: 150, height: 150, fit: 'inside', formats: ['source'] },
      { label: 'medium', width: 640, height: 640, fit: 'inside', formats: ['source'] },
      { label: 'large', width: 1280, height: 1280, fit: 'inside', formats: ['source'] },
    ]);
    expect(parseSizes('IMAGE_SIZES', '  ')).toEqual(DEFAULT_SIZES);
  });

  it('fills every default, so the plan captured in the orchestration input is explicit', () => {
    expect(
      parse([
        { label: 'w', width: 800 },
        { label: 'h', height: 400, formats: ['webp', 'source'] },
        { label: 'sq', width: 300, height: 300, fit: 'cover', position: 'attention', quality: 70 },
      ]),
    ).toEqual([
      { label: 'w', width: 800, fit: 'inside', formats: ['source'] },
      { label: 'h', height: 400, fit: 'inside', formats: ['webp', 'source'] },
      {
        label: 'sq',
        width: 300,
        height: 300,
        fit: 'cover',
        position: 'attention',
        formats: ['source'],
        quality: 70,
      },
    ]);
  });

  it('labels start and end with a letter or digit; RETIRED_SIZES still takes a label planned before that rule', () => {
    const labels = ['a', '0', 'a-b', 'sq-2x', `a${'-'.repeat(30)}b`];
    expect(parse(labels.map((label) => ({ label, width: 1 }))).map((size) => size.label)).toEqual(labels);
    expect(parseRetiredSizes('RETIRED_SIZES', 'a-,old', DEFAULT_SIZES)).toEqual(['a-', 'old']);
  });

  it('keeps a format listed twice once, in its first position', () => {
    expect(parse([{ label: 'a', width: 10, formats: ['avif', 'source', 'avif', 'webp', 'source'] }])).toEqual(
      [{ label: 'a', width: 10, fit: 'inside', formats: ['avif', 'source', 'webp'] }],
    );
  });

  it.each([
    [
      'not JSON',
      '{',
      'Expected a JSON array of {label, width?, height?, fit?, position?, formats?, quality?} for IMAGE_SIZES but received "{"',
    ],
    [
      'an empty array',
      '[]',
      'Expected a non-empty JSON array of {label, width?, height?, fit?, position?, formats?, quality?} for IMAGE_SIZES but received "[]"',
    ],
    [
      'an object',
      '{"label":"a"}',
      'Expected a non-empty JSON array of {label, width?, height?, fit?, position?, formats?, quality?} for IMAGE_SIZES but received "{\\"label\\":\\"a\\"}"',
    ],
    [
      'a key twice in one entry (JSON.parse would keep the last)',
      '[{"label":"a","width":1,"width":2}]',
      'Expected each key once per entry for IMAGE_SIZES[0].width but received "width" twice',
    ],
    [
      'a key twice in a later entry',
      '[{"label":"a","width":1},{"label":"b","formats":["jpeg"],"height":5,"formats":["webp"]}]',
      'Expected each key once per entry for IMAGE_SIZES[1].formats but received "formats" twice',
    ],
    [
      'more renditions than the cap',
      JSON.stringify(
        Array.from({ length: MAX_LABELS + 1 }, (_, index) => ({ label: `s${index}`, width: 10 })),
      ),
      `Expected at most 32 renditions (each is one resize activity per upload and up to 4 variants in the source's document) for IMAGE_SIZES[32] but received ${MAX_LABELS + 1} renditions`,
    ],
  ])('rejects %s', (_case, raw, message) => {
    expect(settingErrorOf(() => parseSizes('IMAGE_SIZES', raw))).toBe(message);
  });

  it.each([
    [
      [3],
      'Expected an object {label, width?, height?, fit?, position?, formats?, quality?} for IMAGE_SIZES[0] but received 3',
    ],
    [
      [{ label: 'a', width: 1, colour: 'red' }],
      'Expected only the keys label, width, height, fit, position, formats, quality for IMAGE_SIZES[0].colour but received an unknown key "colour"',
    ],
    [
      [{ width: 1 }],
      'Expected a lower-case slug of 1-32 letters, digits and hyphens, starting and ending with a letter or digit for IMAGE_SIZES[0].label but received nothing (the key is missing)',
    ],
    [
      [{ label: 'Thumb', width: 1 }],
      'Expected a lower-case slug of 1-32 letters, digits and hyphens, starting and ending with a letter or digit for IMAGE_SIZES[0].label but received "Thumb"',
    ],
    [
      [{ label: 'a-', width: 1 }],
      'Expected a lower-case slug of 1-32 letters, digits and hyphens, starting and ending with a letter or digit for IMAGE_SIZES[0].label but received "a-"',
    ],
    [
      [{ label: '-a', width: 1 }],
      'Expected a lower-case slug of 1-32 letters, digits and hyphens, starting and ending with a letter or digit for IMAGE_SIZES[0].label but received "-a"',
    ],
    [
      [{ label: 'a'.repeat(33), width: 1 }],
      `Expected a lower-case slug of 1-32 letters, digits and hyphens, starting and ending with a letter or digit for IMAGE_SIZES[0].label but received "${'a'.repeat(33)}"`,
    ],
    [
      [
        { label: 'a', width: 1 },
        { label: 'a', width: 2 },
      ],
      'Expected a unique label for IMAGE_SIZES[1].label but received "a"',
    ],
    [
      [{ label: 'a', width: 0, height: 1 }],
      'Expected an integer between 1 and 16383 for IMAGE_SIZES[0].width but received 0',
    ],
    [
      [{ label: 'a', width: 16384 }],
      'Expected an integer between 1 and 16383 for IMAGE_SIZES[0].width but received 16384',
    ],
    [
      [{ label: 'a', width: 10, height: '10' }],
      'Expected an integer between 1 and 16383 for IMAGE_SIZES[0].height but received "10"',
    ],
    [
      [{ label: 'a', width: 1.5 }],
      'Expected an integer between 1 and 16383 for IMAGE_SIZES[0].width but received 1.5',
    ],
    [
      [{ label: 'a' }],
      'Expected width, height or both (fit "inside") for IMAGE_SIZES[0].width but received neither',
    ],
    [
      [
        { label: 'a', width: 150 },
        { label: 'b', width: 300, fit: 'square' },
      ],
      'Expected "inside" or "cover" for IMAGE_SIZES[1].fit but received "square"',
    ],
    [
      [{ label: 'a', height: 300, fit: 'cover' }],
      'Expected an integer between 1 and 16383 (fit "cover" needs both width and height) for IMAGE_SIZES[0].width but received nothing (the key is missing)',
    ],
    [
      [{ label: 'a', width: 300, fit: 'cover' }],
      'Expected an integer between 1 and 16383 (fit "cover" needs both width and height) for IMAGE_SIZES[0].height but received nothing (the key is missing)',
    ],
    [
      [{ label: 'a', width: 300, height: 300, fit: 'cover', position: 'center' }],
      'Expected "centre", "attention" or "entropy" for IMAGE_SIZES[0].position but received "center"',
    ],
    [
      [{ label: 'a', width: 300, position: 'attention' }],
      'Expected no position unless fit is "cover" for IMAGE_SIZES[0].position but received "attention"',
    ],
    [
      [{ label: 'a', width: 1, formats: 'webp' }],
      'Expected a non-empty array of "source", "jpeg", "webp" or "avif" for IMAGE_SIZES[0].formats but received "webp"',
    ],
    [
      [{ label: 'a', width: 1, formats: [] }],
      'Expected a non-empty array of "source", "jpeg", "webp" or "avif" for IMAGE_SIZES[0].formats but received []',
    ],
    [
      [{ label: 'a', width: 1, formats: ['webp', 'png'] }],
      'Expected "source", "jpeg", "webp" or "avif" for IMAGE_SIZES[0].formats[1] but received "png"',
    ],
    [
      [{ label: 'a', width: 1, quality: 0 }],
      'Expected an integer between 1 and 100 for IMAGE_SIZES[0].quality but received 0',
    ],
    [
      [{ label: 'a', width: 1, quality: 101 }],
      'Expected an integer between 1 and 100 for IMAGE_SIZES[0].quality but received 101',
    ],
    [
      [{ label: 'a', width: 1, quality: '80' }],
      'Expected an integer between 1 and 100 for IMAGE_SIZES[0].quality but received "80"',
    ],
  ])('stops start-up naming the entry and key: %j', (value, message) => {
    expect(settingErrorOf(() => parse(value))).toBe(message);
  });
});
