import { DECODABLE_FORMATS, UNSUPPORTED_FORMATS } from '../imaging/types';
import type { ErrorCode } from './types';

/** How the pages name the refused formats (JPEG2000 and JXL are codes, not words people know). */
const FORMAT_NAMES: Readonly<Record<(typeof UNSUPPORTED_FORMATS)[number], string>> = {
  BMP: 'BMP',
  PSD: 'Photoshop',
  ICO: 'icon',
  JPEG2000: 'JPEG 2000',
  JXL: 'JPEG XL',
  SVG: 'SVG',
  PDF: 'PDF',
};

function listed(names: readonly string[]): string {
  return names.length < 2 ? (names[0] ?? '') : `${names.slice(0, -1).join(', ')} or ${names.at(-1) ?? ''}`;
}

/**
 * What each document error code means, for the person who uploaded the file: the one vocabulary the upload
 * page and the console show (served to them as `errors.js`, see site/staticFiles.ts). A new code without
 * words fails to compile. The formats are listed from the detector's own lists.
 */
export const ERROR_WORDS: Readonly<Record<ErrorCode, string>> = {
  'not-an-image': 'This file is not an image: its contents are not a picture format we know.',
  'unsupported-format':
    `This picture format cannot be processed (${listed(UNSUPPORTED_FORMATS.map((format) => FORMAT_NAMES[format]))} ` +
    `files); ${listed(DECODABLE_FORMATS.map((format) => (format === 'WEBP' ? 'WebP' : format)))} can.`,
  'corrupt-image': 'The image is damaged and could not be decoded.',
  'too-large': 'The file is larger than the upload limit.',
  'too-many-pixels': 'The picture has more pixels than we can process.',
  'unsupported-blob-type':
    'The upload was not stored the way the site stores photos (one block blob), so it was not read.',
  'source-missing': 'The upload was deleted before it could be processed.',
  superseded: 'A newer upload replaced this one before it was processed.',
  'too-large-for-format': 'This size is too large for one of its formats; the other formats are there.',
  'rendition-changed':
    'This size was made with earlier settings and is kept as it was; new settings need a new size name.',
  internal: 'Something went wrong on our side. An operator can reprocess it.',
};
