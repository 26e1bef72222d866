/** Longest file-name part kept in an upload's blob name (the extension is kept within it). */
export const MAX_SAFE_FILE_NAME_LENGTH = 100;

// C0/C1 controls, DEL, and the bidirectional overrides/isolates that make "gpj.exe" display as "exe.jpg".
// eslint-disable-next-line no-control-regex
const INVISIBLE = /[\u0000-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]/gu;
/** Letters and digits of any script, and `.`, `_`, `-`, `(`, `)`: everything else becomes `-`. */
const UNSAFE = /[^\p{L}\p{N}._()-]+/gu;

/**
 * The file-name part of an upload's blob name, from whatever the browser reported: only the last path segment
 * (`C:\fakepath\cat.jpg` → `cat.jpg`), NFC, no control or bidi characters, runs of anything but letters, digits
 * and `._-()` as one `-`, no leading dots or dashes (no `..`, no hidden names), at most
 * {@link MAX_SAFE_FILE_NAME_LENGTH} characters with the extension kept; `image` when nothing is left.
 */
export function safeFileName(fileName: string): string {
  const lastSegment = fileName.split(/[/\\]/).pop() ?? '';
  const cleaned = lastSegment
    .normalize('NFC')
    .replace(INVISIBLE, '')
    .replace(UNSAFE, '-')
    .replace(/-{2,}/g, '-')
    .replace(/\.{2,}/g, '.')
    .replace(/^[.-]+/, '')
    .replace(/[.-]+$/, '');
  if (cleaned === '') return 'image';
  const chars = [...cleaned]; // by code point, so a cut never splits a surrogate pair
  if (chars.length <= MAX_SAFE_FILE_NAME_LENGTH) return cleaned;
  const dot = cleaned.lastIndexOf('.');
  const extension = dot > 0 && cleaned.length - dot <= 10 ? cleaned.slice(dot) : '';
  const stem = [...cleaned.slice(0, cleaned.length - extension.length)]
    .slice(0, MAX_SAFE_FILE_NAME_LENGTH - extension.length)
    .join('')
    .replace(/[.-]+$/, '');
  return `${stem}${extension}`;
}
