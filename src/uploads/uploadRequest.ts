import { expectedMessage, integerInRange } from '../domain/validation';
import { visibleText } from '../domain/visibleText';

/** A validated `POST /api/uploads` body. */
export interface UploadRequest {
  fileName: string;
  /** Lower-cased media type without parameters, e.g. `image/jpeg`. */
  contentType: string;
  /** Bytes the browser will send. */
  size: number;
}

/** Why an upload is refused, as the 400 body's `error`. */
export type UploadRefusal = 'invalid-request' | 'not-an-image-type' | 'empty-file' | 'too-large';

export type UploadRequestResult = { request: UploadRequest } | { refusal: UploadRefusal; message: string };

const KNOWN_KEYS = new Set(['fileName', 'contentType', 'size']);
/** RFC 6838 `type/subtype` restricted-name characters. */
const MEDIA_TYPE = /^image\/[a-z0-9][a-z0-9!#$&^_.+-]{0,126}$/;
/** Vector and document formats the pipeline never renders (it reports `unsupported-format` for them). */
const REFUSED_IMAGE_TYPES = new Set(['image/svg+xml']);

function invalid(field: string, expected: string, received: unknown): UploadRequestResult {
  return { refusal: 'invalid-request', message: expectedMessage(expected, field, received) };
}

/**
 * Bytes in binary units, as `MAX_SOURCE_BYTES` is set (50 MiB = 52,428,800 bytes), with the exact count so
 * nobody has to guess whether "MB" meant 10^6 or 2^20: `60.0 MiB (62,914,560 bytes)`, `900 bytes`.
 */
export function formatBytes(bytes: number): string {
  const exact = `${bytes.toLocaleString('en-US')} bytes`;
  if (bytes < 1024) return exact;
  const [value, unit] = bytes < 1024 * 1024 ? [bytes / 1024, 'KiB'] : [bytes / (1024 * 1024), 'MiB'];
  return `${value.toFixed(1)} ${unit} (${exact})`;
}

/**
 * Checks the body `{ fileName, contentType, size }` against the limits the pipeline will apply anyway, so a
 * file that could never be processed is refused before any byte is sent. `maxBytes` is `MAX_SOURCE_BYTES`.
 */
export function parseUploadRequest(body: unknown, maxBytes: number): UploadRequestResult {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    return invalid('the request body', 'a JSON object { fileName, contentType, size }', body);
  }
  const fields = body as Record<string, unknown>;
  const unknown = Object.keys(fields).filter((key) => !KNOWN_KEYS.has(key));
  if (unknown.length > 0) return invalid('the request body', 'only fileName, contentType and size', unknown);
  const { fileName, contentType, size } = fields;
  if (typeof fileName !== 'string' || fileName.trim() === '' || fileName.length > 1024) {
    return invalid('fileName', 'a non-empty string of at most 1024 characters', fileName);
  }
  // The messages below name the file as the person sees it: no controls or bidi overrides echoed.
  const shownName = visibleText(fileName.split(/[/\\]/).pop() ?? fileName) || 'This file';
  if (typeof contentType !== 'string')
    return invalid('contentType', 'a media type like "image/jpeg"', contentType);
  const mediaType = contentType.split(';')[0]?.trim().toLowerCase() ?? '';
  if (!MEDIA_TYPE.test(mediaType) || REFUSED_IMAGE_TYPES.has(mediaType)) {
    const what = mediaType === '' ? 'a file without a type' : `"${mediaType}"`;
    return {
      refusal: 'not-an-image-type',
      message: `${shownName} is ${what}, not a photo: only image types are accepted (JPEG, PNG, WebP, GIF, AVIF, TIFF, HEIC)`,
    };
  }
  const bytes = integerInRange(size, 0);
  if (bytes === undefined) return invalid('size', 'a whole number of bytes', size);
  if (bytes === 0) return { refusal: 'empty-file', message: `${shownName} is empty (0 bytes)` };
  if (bytes > maxBytes) {
    return {
      refusal: 'too-large',
      message: `${shownName} is ${formatBytes(bytes)}; the limit is ${formatBytes(maxBytes)}`,
    };
  }
  return { request: { fileName, contentType: mediaType, size: bytes } };
}
