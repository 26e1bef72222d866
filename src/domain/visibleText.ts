/**
 * The one definition of characters that must never reach a person's screen from user-supplied text (file
 * names, blob names, query values): C0 and C1 controls and DEL, the invisible formatting characters that
 * change how the text around them reads — bidi embeddings, overrides and isolates (U+202A–U+202E,
 * U+2066–U+2069; "photo\u202Egpj.exe" displays as "photoexe.jpg"), the directional marks (U+200E, U+200F,
 * U+061C), zero-width space and word joiner (U+200B, U+2060) and the BOM (U+FEFF) — and the rest of Unicode's
 * Default_Ignorable_Code_Point set plus the blank "letters" that render as nothing: soft hyphen (U+00AD),
 * combining grapheme joiner (U+034F), the Hangul fillers (U+115F, U+1160, U+3164, U+FFA0: letters, so a name
 * of them looks empty), Khmer inherent vowels (U+17B4, U+17B5), Mongolian selectors and vowel separator
 * (U+180B–U+180F), invisible operators (U+2061–U+206F), the braille blank (U+2800), U+FFF0–U+FFF8, shorthand
 * format controls (U+1BCA0–U+1BCA3), musical format controls (U+1D173–U+1D17A) and the tag characters
 * (U+E0000–U+E007F, which also smuggle hidden ASCII text). Kept on purpose: zero-width (non-)joiners
 * (U+200C, U+200D) and variation selectors (U+FE00–U+FE0F, U+E0100–U+E01EF), which scripts and emoji need.
 * See Unicode TR #36 (security), TR #9 (bidi) and DerivedCoreProperties.txt.
 *
 * The upload page uses the same set: the site serves it as `text.js`, built from this pattern's source.
 */
export const INVISIBLE_PATTERN =
  // eslint-disable-next-line no-control-regex, no-misleading-character-class
  /[\u0000-\u001f\u007f-\u009f\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180b-\u180f\u200b\u200e\u200f\u202a-\u202e\u2060-\u206f\u2800\u3164\ufeff\uffa0\ufff0-\ufff8\u{1bca0}-\u{1bca3}\u{1d173}-\u{1d17a}\u{e0000}-\u{e007f}]/gu;

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
