import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { documentIdFor, instanceIdFor, unquoteETag } from '../../src/domain/ids';
import { derivativeBlobName } from '../../src/domain/derivativeNames';

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

describe('derivativeBlobName', () => {
  it.each([
    ['cat.jpg', 'thumb', 'jpg', 'cat_thumb.jpg'],
    ['users/42/cat.jpg', 'thumb', 'jpg', 'users/42/cat_thumb.jpg'],
    ['users/43/cat.jpg', 'thumb', 'jpg', 'users/43/cat_thumb.jpg'],
    ['a/b/c/photo.final.v2.PNG', 'medium', 'png', 'a/b/c/photo.final.v2_medium.png'],
    ['no-extension', 'large', 'jpg', 'no-extension_large.jpg'],
    ['dir.with.dots/file', 'large', 'webp', 'dir.with.dots/file_large.webp'],
    ['.hidden', 'thumb', 'png', '.hidden_thumb.png'],
    ['fotos/über straße/Ünïcödé 😀.heic', 'thumb', 'jpg', 'fotos/über straße/Ünïcödé 😀_thumb.jpg'],
    ['photo.tiff', 'thumb', 'jpg', 'photo_thumb.jpg'],
  ])('%s + %s -> %s', (source, label, ext, expected) => {
    expect(derivativeBlobName(source, label, ext)).toBe(expected);
  });
});
