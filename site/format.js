// Words and numbers for people: byte sizes, dimensions, times and the pipeline's error codes.

/**
 * Bytes in binary units (1 KiB = 1024 bytes, 1 MiB = 1024 KiB), the units `MAX_SOURCE_BYTES` and the server's
 * messages use; the exact count is in the element's title where the page shows one.
 * @param {number} bytes
 */
export function formatBytes(bytes) {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KiB`;
  return `${(bytes / (1024 * 1024)).toFixed(1)} MiB`;
}

/** @param {number} bytes */
export function exactBytes(bytes) {
  return `${bytes.toLocaleString('en-US')} bytes`;
}

/** @param {number | null | undefined} width @param {number | null | undefined} height */
export function formatDimensions(width, height) {
  return width && height ? `${width} × ${height}` : '—';
}

/** @param {string | null | undefined} iso */
export function formatTime(iso) {
  if (!iso) return '—';
  const date = new Date(iso);
  return date.toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'medium' });
}

/** What each document error code means, for the person who uploaded the file. */
const ERROR_WORDS = {
  'not-an-image': 'This file is not an image: its contents are not a picture format we know.',
  'unsupported-format': 'This picture format cannot be processed (for example SVG, PDF or HEIC).',
  'corrupt-image': 'The image is damaged and could not be decoded.',
  'too-large': 'The file is larger than the upload limit.',
  'too-many-pixels': 'The picture has more pixels than we can process.',
  'source-missing': 'The upload was deleted before it could be processed.',
  superseded: 'A newer upload replaced this one before it was processed.',
  'too-large-for-format': 'This size is too large for one of its formats; the other formats are there.',
  'rendition-changed':
    'This size was made with earlier settings and is kept as it was; new settings need a new size name.',
  internal: 'Something went wrong on our side. An operator can reprocess it.',
};

/** @param {string} code */
export function errorInWords(code) {
  return ERROR_WORDS[code] ?? `The image could not be processed (${code}).`;
}

/** @param {string} label */
export function capitalise(label) {
  return label.charAt(0).toUpperCase() + label.slice(1);
}
