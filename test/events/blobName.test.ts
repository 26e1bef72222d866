import { describe, expect, it } from 'vitest';
import { MAX_LABEL_LENGTH, parseSizes } from '../../src/config/sizes';
import { derivativeBlobName } from '../../src/domain/derivativeNames';
import { blobNameProblem, MAX_SOURCE_BLOB_NAME_LENGTH } from '../../src/events/blobName';

/** Azure Blob Storage's documented maximum blob name length. */
const AZURE_LIMIT = 1024;
const LONGEST_LABEL = 'a'.repeat(MAX_LABEL_LENGTH);

describe('blobNameProblem: length', () => {
  it('leaves room for the longest derivative suffix "_{label}.{ext}" within the 1024 characters Azure allows', () => {
    expect(MAX_SOURCE_BLOB_NAME_LENGTH).toBe(AZURE_LIMIT - ('_'.length + 32 + '.'.length + 'webp'.length));
    // The label limit is the one IMAGE_SIZES enforces: 32 characters pass, 33 are refused.
    expect(
      parseSizes('IMAGE_SIZES', JSON.stringify([{ label: LONGEST_LABEL, width: 1, height: 1 }])),
    ).toHaveLength(1);
    expect(() =>
      parseSizes('IMAGE_SIZES', JSON.stringify([{ label: `${LONGEST_LABEL}a`, width: 1, height: 1 }])),
    ).toThrow('Expected a lower-case slug of 1-32 characters for IMAGE_SIZES[0].label');
  });

  it('accepts a name at the limit, whose longest derivative name is exactly 1024 characters', () => {
    // No extension to drop: the derivative adds the whole suffix, the worst case.
    const atLimit = `users/42/${'x'.repeat(MAX_SOURCE_BLOB_NAME_LENGTH - 'users/42/'.length)}`;
    expect(atLimit).toHaveLength(986);
    expect(blobNameProblem(atLimit)).toBeUndefined();
    for (const extension of ['jpg', 'png', 'webp', 'gif', 'avif']) {
      expect(derivativeBlobName(atLimit, LONGEST_LABEL, extension).length).toBeLessThanOrEqual(AZURE_LIMIT);
    }
    expect(derivativeBlobName(atLimit, LONGEST_LABEL, 'webp')).toHaveLength(AZURE_LIMIT);
  });

  it('refuses one character more, naming the limit and why', () => {
    const overLimit = `${'x'.repeat(MAX_SOURCE_BLOB_NAME_LENGTH - 'cat.jpg'.length + 1)}cat.jpg`;
    expect(overLimit).toHaveLength(987);
    expect(blobNameProblem(overLimit)).toBe(
      'the blob name is longer than 986 characters (Azure\'s 1024 less 38 for the longest derivative suffix "_{label}.{ext}")',
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
