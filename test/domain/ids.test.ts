import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { documentIdFor, instanceIdFor, unquoteETag, versionTagFor } from '../../src/domain/ids';
import { derivativeBlobName, parseDerivativeBlobName } from '../../src/domain/derivativeNames';

describe('instanceIdFor', () => {
  it('is img- and 32 hex chars of sha256 of container/blob@eTag without quotes', () => {
    const expected = createHash('sha256')
      .update('images-unprocessed/users/42/cat.jpg@0x8D4BCC2E4835CD0')
      .digest('hex');
    expect(instanceIdFor('images-unprocessed', 'users/42/cat.jpg', '"0x8D4BCC2E4835CD0"')).toBe(
      `img-${expected.slice(0, 32)}`,
    );
    expect(instanceIdFor('images-unprocessed', 'users/42/cat.jpg', '0x8D4BCC2E4835CD0')).toBe(
      `img-${expected.slice(0, 32)}`,
    );
  });

  it('differs per version and per path', () => {
    const a = instanceIdFor('c', 'a.jpg', '"1"');
    expect(instanceIdFor('c', 'a.jpg', '"2"')).not.toBe(a);
    expect(instanceIdFor('c', 'b.jpg', '"1"')).not.toBe(a);
  });
});

describe('documentIdFor', () => {
  it('is 32 hex chars of sha256 of container/blob, independent of the version', () => {
    const expected = createHash('sha256')
      .update('images-unprocessed/users/42/cat.jpg')
      .digest('hex')
      .slice(0, 32);
    expect(documentIdFor('images-unprocessed', 'users/42/cat.jpg')).toBe(expected);
  });
});

describe('unquoteETag', () => {
  it.each([
    ['"0x1"', '0x1'],
    ['0x1', '0x1'],
    ['W/"0x1"', '0x1'],
  ])('%s -> %s', (input, output) => expect(unquoteETag(input)).toBe(output));
});

describe('versionTagFor', () => {
  it('is the first 12 hex digits of the same sha256 as the instance id', () => {
    const hash = createHash('sha256')
      .update('images-unprocessed/users/42/IMG_0001.JPG@0x8D4BCC2E4835CD0')
      .digest('hex');
    expect(versionTagFor('images-unprocessed', 'users/42/IMG_0001.JPG', '"0x8D4BCC2E4835CD0"')).toBe(
      hash.slice(0, 12),
    );
    expect(instanceIdFor('images-unprocessed', 'users/42/IMG_0001.JPG', '0x8D4BCC2E4835CD0')).toBe(
      `img-${hash.slice(0, 32)}`,
    );
  });
});

describe('derivativeBlobName', () => {
  it.each([
    ['cat.jpg', 'thumb', 'jpg', 'cat.jpg/3fa9c04e1b7d/thumb.jpg'],
    ['users/42/IMG_0001.JPG', 'thumb', 'jpg', 'users/42/IMG_0001.JPG/3fa9c04e1b7d/thumb.jpg'],
    ['users/42/IMG_0001.jpg', 'thumb', 'jpg', 'users/42/IMG_0001.jpg/3fa9c04e1b7d/thumb.jpg'],
    ['coll/pic.jpeg', 'medium', 'jpg', 'coll/pic.jpeg/3fa9c04e1b7d/medium.jpg'],
    ['no-extension', 'large', 'webp', 'no-extension/3fa9c04e1b7d/large.webp'],
    [
      'fotos/über straße/Ünïcödé 😀.heic',
      'thumb',
      'jpg',
      'fotos/über straße/Ünïcödé 😀.heic/3fa9c04e1b7d/thumb.jpg',
    ],
  ])('%s + %s -> %s: the whole source name, extension and case kept', (source, label, ext, expected) => {
    expect(derivativeBlobName(source, '3fa9c04e1b7d', label, ext)).toBe(expected);
  });
});

describe('parseDerivativeBlobName', () => {
  it('reads the version and label of a derivative of exactly this source', () => {
    expect(parseDerivativeBlobName('coll/pic.jpg', 'coll/pic.jpg/3fa9c04e1b7d/thumb.jpg')).toEqual({
      versionTag: '3fa9c04e1b7d',
      label: 'thumb',
      extension: 'jpg',
    });
  });

  it.each([
    'coll/pic.jpg/nested.jpg/3fa9c04e1b7d/thumb.jpg',
    'coll/pic.jpg/3fa9c04e1b7d/extra/thumb.jpg',
    'coll/pic.jpg/3FA9C04E1B7D/thumb.jpg',
    'coll/pic.jpg/3fa9c04e1b7/thumb.jpg',
    'coll/pic.jpgx/3fa9c04e1b7d/thumb.jpg',
    'coll/pic.jpg/3fa9c04e1b7d/thumb',
  ])('is undefined for %s (a nested source, another shape or another source)', (name) => {
    expect(parseDerivativeBlobName('coll/pic.jpg', name)).toBeUndefined();
  });
});
