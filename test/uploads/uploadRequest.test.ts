import { describe, expect, it } from 'vitest';
import { parseUploadRequest } from '../../src/uploads/uploadRequest';

const MAX = 50 * 1024 * 1024;

describe('parseUploadRequest', () => {
  it('accepts an image type within the limit, keeping the media type without parameters', () => {
    expect(
      parseUploadRequest({ fileName: 'cat.jpg', contentType: 'Image/JPEG; q=1', size: 1234 }, MAX),
    ).toEqual({
      request: { fileName: 'cat.jpg', contentType: 'image/jpeg', size: 1234 },
    });
    expect(
      parseUploadRequest({ fileName: 'x.heic', contentType: 'image/heic', size: MAX }, MAX),
    ).toMatchObject({
      request: { size: MAX },
    });
  });

  it.each([
    [
      { fileName: 'a.txt', contentType: 'text/plain', size: 10 },
      'not-an-image-type',
      'a.txt is "text/plain", not a photo',
    ],
    [
      { fileName: 'a', contentType: '', size: 10 },
      'not-an-image-type',
      'a is a file without a type, not a photo',
    ],
    [
      { fileName: 'v.svg', contentType: 'image/svg+xml', size: 10 },
      'not-an-image-type',
      'v.svg is "image/svg+xml"',
    ],
    [
      { fileName: 'big.jpg', contentType: 'image/jpeg', size: MAX + 1 },
      'too-large',
      'big.jpg is 50.0 MiB (52,428,801 bytes); the limit is 50.0 MiB (52,428,800 bytes)',
    ],
    [{ fileName: 'e.jpg', contentType: 'image/jpeg', size: 0 }, 'empty-file', 'e.jpg is empty (0 bytes)'],
    [
      { fileName: 'n.jpg', contentType: 'image/jpeg', size: 1.5 },
      'invalid-request',
      'Expected a whole number of bytes for size but received 1.5',
    ],
    [
      { fileName: 'n.jpg', contentType: 'image/jpeg', size: '10' },
      'invalid-request',
      'for size but received "10"',
    ],
    [
      { fileName: '', contentType: 'image/jpeg', size: 10 },
      'invalid-request',
      'for fileName but received ""',
    ],
    [{ contentType: 'image/jpeg', size: 10 }, 'invalid-request', 'for fileName but received nothing'],
    [
      { fileName: 'a.jpg', contentType: 'image/jpeg', size: 1, extra: 1 },
      'invalid-request',
      'Expected only fileName, contentType and size',
    ],
    [
      [1, 2],
      'invalid-request',
      'Expected a JSON object { fileName, contentType, size } for the request body',
    ],
  ])('%j → %s', (body, refusal, message) => {
    const result = parseUploadRequest(body, MAX);
    expect(result).toMatchObject({ refusal });
    expect('message' in result ? result.message : '').toContain(message);
  });

  it('names the file without controls or bidi overrides: what the person sees is what was refused', () => {
    // "photo\u202Egpj.exe" would display as "photoexe.jpg"; the message must not render it reversed.
    const refused = parseUploadRequest(
      {
        fileName: 'C:\\fakepath\\photo\u202egpj.exe\u0007',
        contentType: 'application/x-msdownload',
        size: 10,
      },
      MAX,
    );
    expect(refused).toEqual({
      refusal: 'not-an-image-type',
      message:
        'photogpj.exe is "application/x-msdownload", not a photo: only image types are accepted (JPEG, PNG, WebP, GIF, AVIF, TIFF, HEIC)',
    });
    const invalid = parseUploadRequest(
      { fileName: 'a\u2066b.jpg', contentType: 'image/jpeg', size: -1 },
      MAX,
    );
    expect(invalid).toEqual({
      refusal: 'invalid-request',
      message: 'Expected a whole number of bytes for size but received -1',
    });
  });

  it('states sizes in binary units with the exact byte count', () => {
    expect(
      parseUploadRequest({ fileName: 'x.png', contentType: 'image/png', size: 60 * 1024 * 1024 }, MAX),
    ).toMatchObject({
      message: 'x.png is 60.0 MiB (62,914,560 bytes); the limit is 50.0 MiB (52,428,800 bytes)',
    });
  });
});
