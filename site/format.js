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

/** What each document error code means: the app's one vocabulary, generated from src/domain/errorWords.ts. */
export { errorInWords } from './errors.js';

/** @param {string} label */
export function capitalise(label) {
  return label.charAt(0).toUpperCase() + label.slice(1);
}
