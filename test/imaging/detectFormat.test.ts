import { describe, expect, it } from 'vitest';
import { detectFormat, type DetectedFormat } from '../../src/imaging';
import { makeNonImage, makePhoto, type PhotoFormat } from '../support/images';

/** An ISO-BMFF `ftyp` box: size, 'ftyp', major brand, minor version, compatible brands. */
function ftyp(major: string, ...compatible: string[]): Buffer {
  const body = Buffer.from(`ftyp${major}\0\0\0\0${compatible.join('')}`, 'latin1');
  const size = Buffer.alloc(4);
  size.writeUInt32BE(body.length + 4);
  return Buffer.concat([size, body, Buffer.alloc(16)]);
}

function bytes(...values: (number | string)[]): Buffer {
  return Buffer.concat(
    values.map((value) => (typeof value === 'string' ? Buffer.from(value, 'latin1') : Buffer.from([value]))),
  );
}

function bmp(dibHeaderSize: number): Buffer {
  const header = Buffer.alloc(54);
  header.write('BM', 0, 'latin1');
  header.writeUInt32LE(54, 2);
  header.writeUInt32LE(dibHeaderSize, 14);
  return header;
}

const decodable = (format: string): DetectedFormat => ({ kind: 'decodable', format }) as DetectedFormat;
const unsupported = (format: string): DetectedFormat => ({ kind: 'unsupported', format }) as DetectedFormat;
const unknown: DetectedFormat = { kind: 'unknown' };

describe('detectFormat on files written by real encoders', () => {
  it.each<[PhotoFormat, string]>([
    ['jpeg', 'JPEG'],
    ['png', 'PNG'],
    ['webp', 'WEBP'],
    ['gif', 'GIF'],
    ['tiff', 'TIFF'],
    ['avif', 'AVIF'],
  ])('%s -> %s', async (format, expected) => {
    expect(detectFormat(await makePhoto({ width: 8, height: 8, format }))).toEqual(decodable(expected));
  });
});

describe('detectFormat by magic bytes', () => {
  it.each<[string, Buffer, DetectedFormat]>([
    ['JPEG SOI + APP0', bytes(0xff, 0xd8, 0xff, 0xe0, 0, 16, 'JFIF'), decodable('JPEG')],
    ['JPEG SOI + DQT', bytes(0xff, 0xd8, 0xff, 0xdb), decodable('JPEG')],
    ['PNG signature', bytes(0x89, 'PNG\r\n', 0x1a, '\n'), decodable('PNG')],
    ['WebP RIFF', bytes('RIFF', 0, 0, 0, 0, 'WEBPVP8 '), decodable('WEBP')],
    ['GIF87a', bytes('GIF87a'), decodable('GIF')],
    ['GIF89a', bytes('GIF89a'), decodable('GIF')],
    ['TIFF little-endian', bytes('II', 42, 0), decodable('TIFF')],
    ['TIFF big-endian', bytes('MM', 0, 42), decodable('TIFF')],
    ['BigTIFF', bytes('II', 43, 0, 8, 0, 0, 0), decodable('TIFF')],
    ['AVIF major brand', ftyp('avif', 'mif1', 'miaf'), decodable('AVIF')],
    ['AVIF sequence', ftyp('avis', 'msf1'), decodable('AVIF')],
    ['AVIF as compatible brand of mif1', ftyp('mif1', 'avif', 'miaf'), decodable('AVIF')],
    ['HEIF with no codec brand', ftyp('mif1', 'miaf'), decodable('HEIF')],
    ['HEIC (iPhone)', ftyp('heic', 'mif1', 'heic'), unsupported('HEIC')],
    ['HEIC via compatible brand', ftyp('mif1', 'heic'), unsupported('HEIC')],
    ['JPEG 2000 in ftyp', ftyp('jp2 ', 'jp2 '), unsupported('JPEG2000')],
    ['JPEG 2000 signature box', bytes(0, 0, 0, 12, 'jP  \r\n', 0x87, '\n'), unsupported('JPEG2000')],
    ['JPEG 2000 codestream', bytes(0xff, 0x4f, 0xff, 0x51), unsupported('JPEG2000')],
    ['JPEG XL codestream', bytes(0xff, 0x0a, 0xfa), unsupported('JXL')],
    ['JPEG XL container', bytes(0, 0, 0, 12, 'JXL \r\n', 0x87, '\n'), unsupported('JXL')],
    ['BMP (BITMAPINFOHEADER)', bmp(40), unsupported('BMP')],
    ['BMP (BITMAPV5HEADER)', bmp(124), unsupported('BMP')],
    ['PSD', bytes('8BPS', 0, 1, 0, 0, 0, 0, 0, 0), unsupported('PSD')],
    ['ICO', Buffer.concat([bytes(0, 0, 1, 0, 1, 0, 16, 16, 0, 0), Buffer.alloc(16)]), unsupported('ICO')],
    ['PDF', bytes('%PDF-1.7\n'), unsupported('PDF')],
    ['SVG', bytes('<svg xmlns="http://www.w3.org/2000/svg"/>'), unsupported('SVG')],
    [
      'SVG with XML prolog',
      bytes(0xef, 0xbb, 0xbf, '<?xml version="1.0"?>\n<svg width="1"/>'),
      unsupported('SVG'),
    ],
    [
      'SVG whose <svg follows a long comment (past 512 bytes, within 4 KiB)',
      bytes('<?xml version="1.0"?>\n<!-- ', 'licence text '.repeat(200), '-->\n<svg width="1"/>'),
      unsupported('SVG'),
    ],
    [
      'SVG whose <svg starts after 4 KiB (not recognised: detection reads no further)',
      bytes('<!-- ', 'x'.repeat(4200), '-->\n<svg width="1"/>'),
      unknown,
    ],
    ['MP4 video (ISO media, not an image)', ftyp('isom', 'iso2', 'mp41'), unknown],
    ['WAV (RIFF, not WebP)', bytes('RIFF', 0, 0, 0, 0, 'WAVEfmt '), unknown],
    ['text starting with BM', bytes('BMW owners club: meeting notes for the year'), unknown],
    ['HTML', bytes('<!doctype html><html><body>hi</body></html>'), unknown],
    ['CSV text', makeNonImage(), unknown],
    ['empty', Buffer.alloc(0), unknown],
    ['one JPEG byte', bytes(0xff), unknown],
    ['ZIP', bytes('PK', 3, 4, 20, 0), unknown],
  ])('%s', (_name, input, expected) => {
    expect(detectFormat(input)).toEqual(expected);
  });

  it('ignores what follows the signature: PNG bytes are PNG whatever the name or content type says', async () => {
    const png = await makePhoto({ width: 8, height: 8, format: 'png' });
    expect(detectFormat(new Uint8Array(png))).toEqual(decodable('PNG'));
  });
});
