// The image type of a file whose browser reported none or only application/octet-stream (a name without an
// extension, an unusual file system), read from its first bytes as the pipeline does
// (src/imaging/detectFormat.ts). The server still decides from the stored bytes; this only keeps a real
// photo from being refused before it is sent.

/** @param {Uint8Array} bytes @param {number} at @param {number[]} expected */
function startsWith(bytes, at, expected) {
  return expected.every((value, index) => bytes[at + index] === value);
}

/** @param {Uint8Array} bytes @param {number} at @param {number} length */
function ascii(bytes, at, length) {
  return String.fromCharCode(...bytes.subarray(at, at + length));
}

const HEIF_BRANDS = new Set(['heic', 'heix', 'heim', 'heis', 'hevc', 'hevx', 'mif1', 'msf1']);
const AVIF_BRANDS = new Set(['avif', 'avis']);

/**
 * The media type the first bytes (at least 32) say, or '' when they say no image type the site takes.
 * @param {Uint8Array} bytes
 */
export function imageTypeOf(bytes) {
  if (startsWith(bytes, 0, [0xff, 0xd8, 0xff])) return 'image/jpeg';
  if (startsWith(bytes, 0, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) return 'image/png';
  if (ascii(bytes, 0, 6) === 'GIF87a' || ascii(bytes, 0, 6) === 'GIF89a') return 'image/gif';
  if (ascii(bytes, 0, 4) === 'RIFF' && ascii(bytes, 8, 4) === 'WEBP') return 'image/webp';
  if (startsWith(bytes, 0, [0x49, 0x49, 0x2a, 0x00]) || startsWith(bytes, 0, [0x4d, 0x4d, 0x00, 0x2a]))
    return 'image/tiff';
  if (ascii(bytes, 4, 4) === 'ftyp') {
    const brand = ascii(bytes, 8, 4);
    if (AVIF_BRANDS.has(brand)) return 'image/avif';
    if (HEIF_BRANDS.has(brand)) return 'image/heic';
  }
  return '';
}

/** What browsers report for a file whose name says nothing (no or an unknown extension). */
const NO_TYPE = new Set(['', 'application/octet-stream']);

/**
 * The file's own type, or the one its first bytes say when the browser reported none (or only "bytes").
 * @param {File} file
 */
export async function typeOf(file) {
  if (!NO_TYPE.has(file.type)) return file.type;
  return imageTypeOf(new Uint8Array(await file.slice(0, 32).arrayBuffer()));
}
