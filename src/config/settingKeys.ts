import { SettingError } from '../domain/errors';
import { ReceivedDescription } from '../domain/validation';
import type { Env } from './env';

/**
 * Every app setting this app reads (src/config/*.ts, src/auth/caller.ts). The environment is a namespace shared
 * with the platform and other tools, so an unknown key is not an error by itself; a key that is almost one of
 * these (`nearMissOf`) is: a mistyped `DECODE_MEMORY_BUDGET_MD` would otherwise leave the default in force
 * without a word.
 */
const BLOB_SUFFIXES = ['', '__blobServiceUri', '__credential', '__clientId'];
export const APP_SETTING_KEYS: readonly string[] = [
  'IMAGE_SIZES',
  'RETIRED_SIZES',
  ...BLOB_SUFFIXES.map((suffix) => `IMAGES_STORAGE${suffix}`),
  ...BLOB_SUFFIXES.map((suffix) => `DERIVATIVES_STORAGE${suffix}`),
  'UNPROCESSED_CONTAINER',
  'PROCESSED_CONTAINER',
  'SCRATCH_CONTAINER',
  'COSMOS__accountEndpoint',
  'COSMOS__key',
  'COSMOS__credential',
  'COSMOS__clientId',
  'COSMOS_DATABASE',
  'COSMOS_CONTAINER',
  'REDRIVE_DELAYS_SECONDS',
  'MAX_SOURCE_BYTES',
  'MAX_SOURCE_PIXELS',
  'DECODE_MEMORY_BUDGET_MB',
  'REPLACED_DERIVATIVES_GRACE_SECONDS',
  'BACKFILL_MAX_IN_FLIGHT',
  'BACKFILL_PAGE_SIZE',
  'BACKFILL_POLL_SECONDS',
  'DEV_USER_ID',
  'OPERATOR_ROLE',
  'DERIVATIVE_BASE_URL',
  'SITE_ORIGINS',
];

/** Sections only this app's settings use: an unknown key inside one is a mistake, however far from a known one. */
const APP_PREFIXES = ['IMAGES_STORAGE__', 'DERIVATIVES_STORAGE__', 'COSMOS__', 'BACKFILL_'];
/** Keys this close to a known one (Levenshtein distance) are taken for typos of it. */
const MAX_EDITS = 2;

/** Levenshtein distance, stopping early once it exceeds `limit`. */
function editDistance(a: string, b: string, limit: number): number {
  if (Math.abs(a.length - b.length) > limit) return limit + 1;
  let previous = Array.from({ length: b.length + 1 }, (_, index) => index);
  for (let i = 1; i <= a.length; i += 1) {
    const current = [i];
    let best = i;
    for (let j = 1; j <= b.length; j += 1) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      const value = Math.min(
        (previous[j] ?? 0) + 1,
        (current[j - 1] ?? 0) + 1,
        (previous[j - 1] ?? 0) + cost,
      );
      current.push(value);
      best = Math.min(best, value);
    }
    if (best > limit) return limit + 1;
    previous = current;
  }
  return previous[b.length] ?? limit + 1;
}

/**
 * The known setting an unknown `key` was probably meant to be: one equal ignoring case, else one within
 * `MAX_EDITS` edits (ignoring case), else, for a key in one of the app's own sections, the closest in that
 * section. Undefined for a key unrelated to this app's settings.
 */
export function nearMissOf(key: string, known: readonly string[] = APP_SETTING_KEYS): string | undefined {
  if (known.includes(key)) return undefined;
  const upper = key.toUpperCase();
  const sameCase = known.find((name) => name.toUpperCase() === upper);
  if (sameCase !== undefined) return sameCase;
  const ranked = known
    .map((name) => ({ name, edits: editDistance(upper, name.toUpperCase(), 64) }))
    .sort((a, b) => a.edits - b.edits);
  const [closest] = ranked;
  if (closest !== undefined && closest.edits <= MAX_EDITS) return closest.name;
  const prefix = APP_PREFIXES.find((section) => upper.startsWith(section.toUpperCase()));
  if (prefix === undefined) return undefined;
  return ranked.find(({ name }) => name.toUpperCase().startsWith(prefix.toUpperCase()))?.name;
}

/** Throws `SettingError` naming the first key of `env` that is a near miss of a known setting, and that setting. */
export function refuseNearMissKeys(env: Env): void {
  for (const key of Object.keys(env).sort()) {
    if (env[key] === undefined) continue;
    const meant = nearMissOf(key);
    if (meant !== undefined) {
      throw new SettingError(
        key,
        `no setting of this name (did you mean ${meant}? Settings are case-sensitive; rename or remove it)`,
        new ReceivedDescription(`a value for an unknown setting ${JSON.stringify(key)}`),
      );
    }
  }
}
