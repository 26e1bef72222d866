/**
 * The one definition of characters that must never reach a person's screen from user-supplied text (file
 * names, blob names, query values): C0 and C1 controls and DEL, and the invisible formatting characters that
 * change how the text around them reads — bidi embeddings, overrides and isolates (U+202A–U+202E,
 * U+2066–U+2069; "photo\u202Egpj.exe" displays as "photoexe.jpg"), the directional marks (U+200E, U+200F,
 * U+061C), zero-width space and word joiner (U+200B, U+2060) and the BOM (U+FEFF). Zero-width (non-)joiners
 * stay: scripts and emoji need them. See Unicode TR #36 (security) and TR #9 (bidi).
 *
 * The upload page uses the same set: the site serves it as `text.js`, built from this pattern's source.
 */
export const INVISIBLE_PATTERN =
  // eslint-disable-next-line no-control-regex
  /[\u0000-\u001f\u007f-\u009f\u061c\u200b\u200e\u200f\u202a-\u202e\u2060\u2066-\u2069\ufeff]/gu;

/** Text with every invisible character removed, NFC. For names shown to people (messages, pages). */
export function visibleText(text: string): string {
  return text.normalize('NFC').replace(INVISIBLE_PATTERN, '');
}

/**
 * Text with every invisible character spelled as an escape (`\u202e`), so a diagnostic shows exactly what
 * was received without acting on the text around it.
 */
export function escapeInvisible(text: string): string {
  return text.replace(
    INVISIBLE_PATTERN,
    (character) => `\\u${(character.codePointAt(0) ?? 0).toString(16).padStart(4, '0')}`,
  );
}
