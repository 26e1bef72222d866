import { visibleText } from '../domain/visibleText';

/** Longest file-name part kept in an upload's blob name (the extension is kept within it). */
export const MAX_SAFE_FILE_NAME_LENGTH = 100;

/** Letters and digits of any script, and `.`, `_`, `-`, `(`, `)`: everything else becomes `-`. */
const UNSAFE = /[^\p{L}\p{N}._()-]+/gu;

/** An extension worth keeping: letters and digits after the last dot, as image files have. */
const EXTENSION = /\.([A-Za-z0-9]{1,10})$/;

function cleanPart(text: string): string {
  // Controls and bidi overrides (that make "gpj.exe" display as "exe.jpg") go first: src/domain/visibleText.ts.
  return visibleText(text)
    .replace(UNSAFE, '-')
    .replace(/-{2,}/g, '-')
    .replace(/\.{2,}/g, '.')
    .replace(/^[.-]+/, '')
    .replace(/[.-]+$/, '');
}

/**
 * The file-name part of an upload's blob name, from whatever the browser reported: only the last path segment
 * (`C:\fakepath\cat.jpg` → `cat.jpg`), NFC, no control or bidi characters, runs of anything but letters, digits
 * and `._-()` as one `-`, no leading dots or dashes (no `..`, no hidden names), the extension kept, at most
 * {@link MAX_SAFE_FILE_NAME_LENGTH} characters (cut by code point); `image` when no name is left.
 */
export function safeFileName(fileName: string): string {
  const lastSegment = fileName.split(/[/\\]/).pop() ?? '';
  const extension = EXTENSION.exec(lastSegment)?.[0] ?? '';
  const stem = cleanPart(lastSegment.slice(0, lastSegment.length - extension.length));
  const kept = [...(stem === '' ? 'image' : stem)]
    .slice(0, MAX_SAFE_FILE_NAME_LENGTH - extension.length)
    .join('');
  return `${kept.replace(/[.-]+$/, '') || 'image'}${extension}`;
}
