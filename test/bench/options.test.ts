import { describe, expect, it } from 'vitest';
import { parseOptions } from '../../bench/options';

describe('bench options: --formats', () => {
  it('defaults to every corpus format', () => {
    expect(parseOptions([]).formats).toEqual(['jpeg', 'png', 'webp', 'heic']);
  });

  it('keeps the listed formats, in the corpus order, case and spaces ignored', () => {
    expect(parseOptions(['--formats', 'WEBP, jpeg']).formats).toEqual(['jpeg', 'webp']);
  });

  it('rejects a format the corpus does not have, naming the choices', () => {
    expect(() => parseOptions(['--formats', 'jpeg,gif'])).toThrow(/jpeg, png, webp, heic.*"jpeg,gif"/s);
  });
});
