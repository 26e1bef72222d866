/**
 * The two fields that identify and order a source version, checked against the shape Azure Storage gives
 * them: the eTag becomes the `If-Match` of every read (a `*` would match whatever the blob holds by then), and
 * the sequencer may order two versions of the same blob. A shape check stops junk ("zzz…", 64 digits), not a
 * well-formed forgery ("fff…" in 32 digits); that is why ordering asks storage first and trusts a sequencer
 * only where the blob's current eTag cannot decide (`arbitrateWrite`, `arbitrateDelete` in
 * src/domain/sourceVersion.ts).
 */

/**
 * `data.sequencer`: hex digits, compared as strings of equal length. Microsoft's documented examples carry 32
 * (`00000000000004420000000000028963`, event-schema-blob-storage); events captured from storage accounts carry
 * 48 (`000000000000000000000000000099240000000000c41c18`), with upper- or lower-case letters. Nothing else is
 * a sequencer Azure sent.
 */
const SEQUENCER = /^(?:[0-9a-f]{32}|[0-9a-f]{48})$/i;

/**
 * `data.eTag`: a strong entity tag, quoted (`"0x8D4BCC2E4835CD0"`) or bare as Event Grid sends it
 * (`0x8D4BCC2E4835CD0`). RFC 9110 etagc characters (no space, no `"`), no comma (an unquoted list would
 * become several conditions in `If-Match`), at most 128 characters (Azure's are 17-20).
 */
const ENTITY_TAG = /^"?([\x21\x23-\x2b\x2d-\x7e]{1,128})"?$/;

/** Why `value` is not a sequencer Azure sends, or undefined when it is one. */
export function sequencerProblem(value: string): string | undefined {
  return SEQUENCER.test(value) ? undefined : 'not 32 or 48 hexadecimal digits';
}

/** The sequencer in one case, so string order is the order of the numbers it spells. */
export function normalizedSequencer(value: string): string {
  return value.toLowerCase();
}

/** Why `value` is not a strong entity tag of one blob version, or undefined when it is one. */
export function eTagProblem(value: string): string | undefined {
  if (value.startsWith('W/')) return 'a weak entity tag (W/…) names no exact version';
  const quoted = value.startsWith('"') || value.endsWith('"');
  if (quoted && !(value.length >= 2 && value.startsWith('"') && value.endsWith('"'))) {
    return 'an unbalanced quote';
  }
  const match = ENTITY_TAG.exec(value);
  if (!match) return 'not an entity tag (1-128 visible characters, no quotes or commas inside)';
  if (match[1] === '*') return 'the wildcard "*" matches any version';
  return undefined;
}
