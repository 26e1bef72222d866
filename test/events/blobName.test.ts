import { describe, expect, it } from 'vitest';
import { MAX_LABEL_LENGTH, parseSizes } from '../../src/config/sizes';
import { derivativeBlobName } from '../../src/domain/derivativeNames';
import { versionTagFor } from '../../src/domain/ids';
import { blobNameProblem, MAX_SOURCE_BLOB_NAME_LENGTH } from '../../src/events/blobName';

/** Azure Blob Storage's documented maximum blob name length. */
const AZURE_LIMIT = 1024;
const LONGEST_LABEL = 'a'.repeat(MAX_LABEL_LENGTH);

describe('blobNameProblem: length', () => {
  it('leaves room for the longest derivative suffix "/{v}/{label}.{ext}" within the 1024 characters Azure allows', () => {
    expect(MAX_SOURCE_BLOB_NAME_LENGTH).toBe(
      AZURE_LIMIT - ('/'.length + 12 + '/'.length + 32 + '.'.length + 'avif'.length),
    );
    // The label limit is the one IMAGE_SIZES enforces: 32 characters pass, 33 are refused.
    expect(
      parseSizes('IMAGE_SIZES', JSON.stringify([{ label: LONGEST_LABEL, width: 1, height: 1 }])),
    ).toHaveLength(1);
    expect(() =>
      parseSizes('IMAGE_SIZES', JSON.stringify([{ label: `${LONGEST_LABEL}a`, width: 1, height: 1 }])),
    ).toThrow(
      'Expected a lower-case slug of 1-32 letters, digits and hyphens, starting and ending with a letter or digit for IMAGE_SIZES[0].label',
    );
  });

  it('accepts a name at the limit, whose longest derivative name is exactly 1024 characters', () => {
    const atLimit = `users/42/${'x'.repeat(MAX_SOURCE_BLOB_NAME_LENGTH - 'users/42/'.length)}`;
    expect(atLimit).toHaveLength(973);
    const v = versionTagFor('images-unprocessed', atLimit, '"0x8D4BCC2E4835CD0"');
    expect(blobNameProblem(atLimit)).toBeUndefined();
    for (const extension of ['jpg', 'png', 'webp', 'gif', 'avif']) {
      expect(derivativeBlobName(atLimit, v, LONGEST_LABEL, extension).length).toBeLessThanOrEqual(
        AZURE_LIMIT,
      );
    }
    expect(derivativeBlobName(atLimit, v, LONGEST_LABEL, 'avif')).toHaveLength(AZURE_LIMIT);
  });

  it('refuses one character more, naming the limit and why', () => {
    const overLimit = `${'x'.repeat(MAX_SOURCE_BLOB_NAME_LENGTH - 'cat.jpg'.length + 1)}cat.jpg`;
    expect(overLimit).toHaveLength(974);
    expect(blobNameProblem(overLimit)).toBe(
      'the blob name is longer than 973 characters (Azure\'s 1024 less 51 for the longest derivative suffix "/{v}/{label}.{ext}")',
    );
  });
});

describe('blobNameProblem: content', () => {
  it.each([
    ['', 'the blob name is empty'],
    ['users/../secret.jpg', 'the blob name contains a "." or ".." path segment'],
    ['cat\u0007.jpg', 'the blob name contains control characters'],
    ['users/42/', 'the blob name ends with "/" (a directory marker, not a file)'],
  ])('%j: %s', (name, problem) => {
    expect(blobNameProblem(name)).toBe(problem);
  });

  it('accepts an ordinary name with a virtual directory', () => {
    expect(blobNameProblem('users/42/holiday photos/cat.jpg')).toBeUndefined();
  });
});
