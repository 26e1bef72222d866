import { BACKFILL_MODES, type BackfillRequest } from '../../domain/backfill';
import type { SizeSpec } from '../../domain/types';
import { expectedMessage } from '../../domain/validation';

const KEYS = ['prefix', 'sizes', 'only'] as const;
/** Azure's limit for a blob name, so for any prefix of one. */
const MAX_PREFIX_LENGTH = 1024;

export type ParsedBackfillRequest =
  | { ok: true; request: BackfillRequest }
  | { ok: false; code: 'invalid-request' | 'unknown-sizes'; message: string; unknown?: string[] };

/**
 * `POST /api/backfill` body: `{ prefix?: string, sizes?: string[], only?: "missing"|"failed"|"all" }`, every
 * key optional (an empty or absent body backfills every size of every image, `missing` only). Unknown keys,
 * unknown labels and wrong types are refused with the vocabulary's message rather than ignored: a typo in
 * `sizes` must not turn into "every size of every image".
 */
export function parseBackfillRequest(body: unknown, catalog: readonly SizeSpec[]): ParsedBackfillRequest {
  const invalid = (message: string): ParsedBackfillRequest => ({
    ok: false,
    code: 'invalid-request',
    message,
  });
  // Only an absent (empty) body means "all defaults"; a literal `null` is a wrong type like any other.
  const value = body === undefined ? {} : body;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return invalid(expectedMessage('a JSON object {prefix?, sizes?, only?}', 'the request body', value));
  }
  const fields = value as Record<string, unknown>;
  const unknownKeys = Object.keys(fields).filter((key) => !(KEYS as readonly string[]).includes(key));
  if (unknownKeys.length > 0) {
    return invalid(expectedMessage(`only the keys ${KEYS.join(', ')}`, 'the request body', unknownKeys));
  }

  // An absent key takes its default; `null` is a value of the wrong type, refused like any other.
  const prefix = fields.prefix === undefined ? '' : fields.prefix;
  if (typeof prefix !== 'string') return invalid(expectedMessage('a string', 'prefix', prefix));
  // A prefix is the start of a blob name ("users/42/" is fine): Azure's length cap, no control characters.
  // eslint-disable-next-line no-control-regex
  if (prefix.length > MAX_PREFIX_LENGTH || /[\u0000-\u001f\u007f]/.test(prefix)) {
    return invalid(
      expectedMessage(
        `a blob-name prefix of at most ${MAX_PREFIX_LENGTH} characters, no control characters`,
        'prefix',
        prefix,
      ),
    );
  }

  const only = fields.only === undefined ? 'missing' : fields.only;
  if (!BACKFILL_MODES.includes(only as never)) {
    return invalid(expectedMessage(`one of ${BACKFILL_MODES.join(', ')}`, 'only', only));
  }

  let sizes: SizeSpec[] = [...catalog];
  if (fields.sizes !== undefined) {
    const labels = fields.sizes;
    if (
      !Array.isArray(labels) ||
      labels.length === 0 ||
      !labels.every((label) => typeof label === 'string')
    ) {
      return invalid(expectedMessage('a non-empty array of size labels', 'sizes', labels));
    }
    const known = catalog.map((size) => size.label);
    const unknown = [...new Set(labels)].filter((label) => !known.includes(label));
    if (unknown.length > 0) {
      return {
        ok: false,
        code: 'unknown-sizes',
        unknown,
        message: expectedMessage(`size labels from ${known.join(', ')}`, 'sizes', labels),
      };
    }
    sizes = catalog.filter((size) => labels.includes(size.label));
  }
  return { ok: true, request: { prefix, sizes, only: only as BackfillRequest['only'] } };
}
