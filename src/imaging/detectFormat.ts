import type { DecodableFormat, DetectedFormat, UnsupportedFormat } from './types';

/** How many leading bytes detection looks at (an ISO-BMFF `ftyp` box with its brand list fits easily). */
export const DETECTION_BYTES = 512;
/**
 * How far an SVG's root `<svg` may sit: editors write an XML prolog, a licence or generator comment and a
 * doctype before it, which often run past 512 bytes; 4 KiB covers them without reading a text file whole.
 */
export const SVG_DETECTION_BYTES = 4096;

const decodable = (format: DecodableFormat): DetectedFormat => ({ kind: 'decodable', format });
const unsupported = (format: UnsupportedFormat): DetectedFormat => ({ kind: 'unsupported', format });
const UNKNOWN: DetectedFormat = { kind: 'unknown' };

function startsWith(bytes: Uint8Array, signature: readonly number[], offset = 0): boolean {
  if (bytes.length < offset + signature.length) return false;
  return signature.every((byte, index) => bytes[offset + index] === byte);
}

function ascii(bytes: Uint8Array, start: number, end: number): string {
  return String.fromCharCode(...bytes.subarray(start, Math.min(end, bytes.length)));
}

function uint32BE(bytes: Uint8Array, offset: number): number {
  return (
    (((bytes[offset] ?? 0) << 24) |
      ((bytes[offset + 1] ?? 0) << 16) |
      ((bytes[offset + 2] ?? 0) << 8) |
      (bytes[offset + 3] ?? 0)) >>>
    0
  );
}

function uint32LE(bytes: Uint8Array, offset: number): number {
  return uint32BE(
    Uint8Array.from([
      bytes[offset + 3] ?? 0,
      bytes[offset + 2] ?? 0,
      bytes[offset + 1] ?? 0,
      bytes[offset] ?? 0,
    ]),
    0,
  );
}

const AVIF_BRANDS = new Set(['avif', 'avis']);
/** HEVC-coded HEIF ("HEIC", iPhone photos): sharp's prebuilt libheif has no HEVC decoder (patent licensing). */
const HEVC_BRANDS = new Set(['heic', 'heix', 'hevc', 'hevx', 'heim', 'heis', 'hevm', 'hevs']);
const GENERIC_HEIF_BRANDS = new Set(['mif1', 'msf1', 'miaf']);

/** ISO-BMFF (`....ftyp`): the major brand and compatible brands say AVIF, HEIC, JPEG 2000 or something else. */
function detectIsoMedia(bytes: Uint8Array): DetectedFormat {
  const boxSize = uint32BE(bytes, 0);
  const end = Math.min(bytes.length, boxSize >= 16 ? boxSize : 16);
  const brands = [ascii(bytes, 8, 12)];
  for (let offset = 16; offset + 4 <= end; offset += 4) brands.push(ascii(bytes, offset, offset + 4));
  if (brands.some((brand) => AVIF_BRANDS.has(brand))) return decodable('AVIF');
  if (brands.some((brand) => HEVC_BRANDS.has(brand))) return unsupported('HEIC');
  if (brands.includes('jp2 ')) return unsupported('JPEG2000');
  // A bare MIAF/HEIF brand names no codec: let the header probe find out whether it is AV1 or HEVC inside.
  if (brands.some((brand) => GENERIC_HEIF_BRANDS.has(brand))) return decodable('HEIF');
  return UNKNOWN; // MP4, MOV, 3GP...: ISO media, but not an image
}

/** BMP's "BM" alone is too weak (text can start with it): also require a known DIB header size. */
function isBmp(bytes: Uint8Array): boolean {
  return startsWith(bytes, [0x42, 0x4d]) && [12, 40, 52, 56, 64, 108, 124].includes(uint32LE(bytes, 14));
}

/** ICO/CUR: reserved 0, type 1 or 2, at least one entry whose reserved byte is 0. */
function isIcon(bytes: Uint8Array): boolean {
  return (
    bytes.length >= 22 &&
    bytes[0] === 0 &&
    bytes[1] === 0 &&
    (bytes[2] === 1 || bytes[2] === 2) &&
    bytes[3] === 0 &&
    (bytes[4] ?? 0) + (bytes[5] ?? 0) > 0 &&
    bytes[9] === 0
  );
}

/** SVG is text: an optional BOM, XML prolog, comments or doctype, then an `<svg` element near the start. */
function isSvg(bytes: Uint8Array): boolean {
  const head = ascii(bytes, 0, SVG_DETECTION_BYTES)
    .replace(/^\uFEFF|^\u00EF\u00BB\u00BF/, '')
    .trimStart();
  return head.startsWith('<') && /<svg[\s>]/i.test(head);
}

/**
 * The format of `bytes` from its magic numbers only. Decodable formats are the ones sharp's prebuilt
 * libvips reads; other well-known image formats are recognised so callers can say "unsupported" rather
 * than "not an image".
 */
export function detectFormat(bytes: Uint8Array): DetectedFormat {
  if (startsWith(bytes, [0xff, 0xd8, 0xff])) return decodable('JPEG');
  if (startsWith(bytes, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) return decodable('PNG');
  if (ascii(bytes, 0, 4) === 'RIFF' && ascii(bytes, 8, 12) === 'WEBP') return decodable('WEBP');
  if (ascii(bytes, 0, 6) === 'GIF87a' || ascii(bytes, 0, 6) === 'GIF89a') return decodable('GIF');
  // Classic TIFF (42) and BigTIFF (43), little- and big-endian.
  if (startsWith(bytes, [0x49, 0x49, 0x2a, 0x00]) || startsWith(bytes, [0x4d, 0x4d, 0x00, 0x2a])) {
    return decodable('TIFF');
  }
  if (startsWith(bytes, [0x49, 0x49, 0x2b, 0x00]) || startsWith(bytes, [0x4d, 0x4d, 0x00, 0x2b])) {
    return decodable('TIFF');
  }
  if (ascii(bytes, 4, 8) === 'ftyp' && bytes.length >= 12) return detectIsoMedia(bytes);
  if (startsWith(bytes, [0x00, 0x00, 0x00, 0x0c, 0x6a, 0x50, 0x20, 0x20, 0x0d, 0x0a, 0x87, 0x0a])) {
    return unsupported('JPEG2000');
  }
  if (startsWith(bytes, [0xff, 0x4f, 0xff, 0x51])) return unsupported('JPEG2000'); // raw J2K codestream
  if (startsWith(bytes, [0xff, 0x0a])) return unsupported('JXL'); // JPEG XL codestream
  if (startsWith(bytes, [0x00, 0x00, 0x00, 0x0c, 0x4a, 0x58, 0x4c, 0x20, 0x0d, 0x0a, 0x87, 0x0a])) {
    return unsupported('JXL');
  }
  if (ascii(bytes, 0, 4) === '8BPS' && bytes[4] === 0 && (bytes[5] === 1 || bytes[5] === 2)) {
    return unsupported('PSD');
  }
  if (isBmp(bytes)) return unsupported('BMP');
  if (isIcon(bytes)) return unsupported('ICO');
  if (ascii(bytes, 0, 5) === '%PDF-') return unsupported('PDF');
  if (isSvg(bytes)) return unsupported('SVG');
  return UNKNOWN;
}
