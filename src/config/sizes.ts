import { visit, type JSONPath } from 'jsonc-parser';
import { SettingError } from '../domain/errors';
import type { CropPosition, Fit, RequestedFormat, SizeSpec } from '../domain/types';
import { integerInRange, positiveInteger, ReceivedDescription } from '../domain/validation';

/** Built-in renditions (the boxes of the job this replaces); `IMAGE_SIZES` replaces them. */
export const DEFAULT_SIZES: readonly SizeSpec[] = Object.freeze([
  { label: 'thumb', width: 150, height: 150, fit: 'inside', formats: ['source'] },
  { label: 'medium', width: 640, height: 640, fit: 'inside', formats: ['source'] },
  { label: 'large', width: 1280, height: 1280, fit: 'inside', formats: ['source'] },
]);

/** Longest size label: labels end up in derivative blob names, whose length Azure caps (see events/blobName). */
export const MAX_LABEL_LENGTH = 32;
/**
 * A label of `IMAGE_SIZES`: the contract's `[a-z0-9-]{1,32}`, starting and ending with a letter or digit, so
 * `a-` or `-a` (easy typos, awkward in file names and activity names) are refused.
 */
const LABEL_PATTERN = new RegExp(`^[a-z0-9](?:[a-z0-9-]{0,${MAX_LABEL_LENGTH - 2}}[a-z0-9])?$`);
/** A label `RETIRED_SIZES` accepts: any the contract allows, so a label planned before the rule tightened can retire. */
const RETIRED_LABEL_PATTERN = new RegExp(`^[a-z0-9][a-z0-9-]{0,${MAX_LABEL_LENGTH - 1}}$`);
const LABEL_EXPECTED = `a lower-case slug of 1-${MAX_LABEL_LENGTH} letters, digits and hyphens, starting and ending with a letter or digit`;
/** libvips' WebP and AVIF encoders stop at 16383 px; JPEG at 65535. One limit for every format. */
export const MAX_EDGE = 16383;

export const FITS: readonly Fit[] = ['inside', 'cover'];
export const CROP_POSITIONS: readonly CropPosition[] = ['centre', 'attention', 'entropy'];
export const REQUESTED_FORMATS: readonly RequestedFormat[] = ['source', 'jpeg', 'webp', 'avif'];
const KEYS = ['label', 'width', 'height', 'fit', 'position', 'formats', 'quality'] as const;

/** Throws the caller's error type: a SettingError at start-up, an ArgumentError for an activity input. */
export type Fail = (field: string, expected: string, received: unknown) => never;

const failSetting: Fail = (field, expected, received) => {
  throw new SettingError(field, expected, received);
};

const MISSING = new ReceivedDescription('nothing (the key is missing)');

/** `"a" or "b"`, `"a", "b" or "c"`. */
function oneOf(values: readonly string[]): string {
  const quoted = values.map((value) => JSON.stringify(value));
  return quoted.length === 1 ? (quoted[0] ?? '') : `${quoted.slice(0, -1).join(', ')} or ${quoted.at(-1)}`;
}

function edge(
  item: Record<string, unknown>,
  key: 'width' | 'height',
  path: string,
  fail: Fail,
): number | undefined {
  if (!(key in item)) return undefined;
  const value = positiveInteger(item[key], MAX_EDGE);
  if (value === undefined) return fail(`${path}.${key}`, `an integer between 1 and ${MAX_EDGE}`, item[key]);
  return value;
}

function member<T extends string>(
  item: Record<string, unknown>,
  key: string,
  allowed: readonly T[],
  fallback: T,
  path: string,
  fail: Fail,
): T {
  if (!(key in item)) return fallback;
  const value = item[key];
  if (!allowed.includes(value as T)) return fail(`${path}.${key}`, oneOf(allowed), value);
  return value as T;
}

function formats(item: Record<string, unknown>, path: string, fail: Fail): RequestedFormat[] {
  if (!('formats' in item)) return ['source'];
  const value = item.formats;
  if (!Array.isArray(value) || value.length === 0) {
    return fail(`${path}.formats`, `a non-empty array of ${oneOf(REQUESTED_FORMATS)}`, value);
  }
  const result: RequestedFormat[] = [];
  value.forEach((format: unknown, index) => {
    if (!REQUESTED_FORMATS.includes(format as RequestedFormat)) {
      fail(`${path}.formats[${index}]`, oneOf(REQUESTED_FORMATS), format);
    }
    // Listed twice is produced once; a `source` that resolves to a listed format is merged at render time.
    if (!result.includes(format as RequestedFormat)) result.push(format as RequestedFormat);
  });
  return result;
}

/**
 * One `IMAGE_SIZES` entry, checked key by key with every default filled in. `path` names the entry in
 * messages (`IMAGE_SIZES[1]`), so an error reads `Expected "inside" or "cover" for IMAGE_SIZES[1].fit but
 * received "square"`. Also used on activity inputs (with their own error type), where an orchestration
 * started before formats existed carries `{label, width, height}` and gets the same defaults.
 */
export function parseRendition(entry: unknown, path: string, fail: Fail = failSetting): SizeSpec {
  if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) {
    return fail(path, 'an object {label, width?, height?, fit?, position?, formats?, quality?}', entry);
  }
  const item = entry as Record<string, unknown>;
  const unknown = Object.keys(item).find((key) => !(KEYS as readonly string[]).includes(key));
  if (unknown !== undefined) {
    fail(
      `${path}.${unknown}`,
      `only the keys ${KEYS.join(', ')}`,
      new ReceivedDescription(`an unknown key ${JSON.stringify(unknown)}`),
    );
  }
  const label = item.label;
  if (typeof label !== 'string' || !LABEL_PATTERN.test(label)) {
    fail(`${path}.label`, LABEL_EXPECTED, 'label' in item ? label : MISSING);
  }
  const width = edge(item, 'width', path, fail);
  const height = edge(item, 'height', path, fail);
  const fit = member(item, 'fit', FITS, 'inside', path, fail);
  if (fit === 'cover') {
    // `cover` fills an exact box: an unbounded side would make it a plain `inside`.
    if (width === undefined)
      fail(
        `${path}.width`,
        `an integer between 1 and ${MAX_EDGE} (fit "cover" needs both width and height)`,
        MISSING,
      );
    if (height === undefined)
      fail(
        `${path}.height`,
        `an integer between 1 and ${MAX_EDGE} (fit "cover" needs both width and height)`,
        MISSING,
      );
  } else {
    if (width === undefined && height === undefined) {
      fail(`${path}.width`, 'width, height or both (fit "inside")', new ReceivedDescription('neither'));
    }
    // A crop position with nothing to crop is a mistake worth stopping for, not a setting to ignore.
    if ('position' in item) fail(`${path}.position`, 'no position unless fit is "cover"', item.position);
  }
  const spec: SizeSpec = { label: label, fit, formats: formats(item, path, fail) };
  if (fit === 'cover') spec.position = member(item, 'position', CROP_POSITIONS, 'centre', path, fail);
  if (width !== undefined) spec.width = width;
  if (height !== undefined) spec.height = height;
  if ('quality' in item) {
    const quality = integerInRange(item.quality, 1, 100);
    if (quality === undefined) return fail(`${path}.quality`, 'an integer between 1 and 100', item.quality);
    spec.quality = quality;
  }
  return spec;
}

const ARRAY_SHAPE = 'JSON array of {label, width?, height?, fit?, position?, formats?, quality?}';

/** Cosmos DB's largest item: 2 MB of JSON as UTF-8 ("Per-item limits", Azure Cosmos DB service quotas). */
export const COSMOS_MAX_ITEM_BYTES = 2 * 1024 * 1024;
/**
 * The most one `variants[]` entry can take as JSON (UTF-8), by its fields' limits: `blobName` at most 1024
 * characters (Azure's blob-name limit) of up to 3 UTF-8 bytes each = 3072; `url` the same name path-encoded
 * (`%XX` for each of up to 3 UTF-8 bytes: 9 characters per character) = 9216, plus a base URL of up to 512;
 * the other fields (label, sizes, content type, format, bytes, eTag, two timestamps) and the keys, under
 * 512. Total 13 312, kept at 14 KiB.
 */
export const MAX_VARIANT_JSON_BYTES = 14 * 1024;
/**
 * Room kept for the rest of a document: the source's name (up to 973 characters, 3 bytes each), status,
 * dates, placeholder, and `errors[]` entries (one per failed label and format, in place of a variant).
 */
const DOCUMENT_OVERHEAD_BYTES = 64 * 1024;
/** Variants one document holds within Cosmos DB's item limit with the longest names: (2 MiB - 64 KiB) / 14 KiB = 145. */
export const MAX_VARIANTS = Math.floor(
  (COSMOS_MAX_ITEM_BYTES - DOCUMENT_OVERHEAD_BYTES) / MAX_VARIANT_JSON_BYTES,
);
/**
 * Most `resize-{label}` activities one upload fans out to: every label is one activity, one read of the source
 * (or of its intermediate) and one decode. 32 is 8 waves of host.json's `maxConcurrentActivityFunctions` (4) on
 * one instance, against the 3 labels of the defaults.
 */
const MAX_FAN_OUT = 32;
/**
 * Most renditions `IMAGE_SIZES` may list: the lesser of the fan-out bound (32) and the document bound (a label
 * gives up to 4 variants, one per format: floor(145 / 4) = 36), so 32.
 */
export const MAX_LABELS = Math.min(MAX_FAN_OUT, Math.floor(MAX_VARIANTS / REQUESTED_FORMATS.length));

/** `IMAGE_SIZES[0].width` for the path jsonc-parser reports (array indexes and object keys). */
function pathName(name: string, path: JSONPath): string {
  return path
    .map((part) => (typeof part === 'number' ? `[${part}]` : `.${part}`))
    .reduce((joined, part) => joined + part, name);
}

/**
 * Throws when any object in the JSON text repeats a key: `JSON.parse` keeps the last silently, so
 * `{"width":1,"width":2}` would run a size nobody meant. jsonc-parser (Microsoft, the VS Code JSON scanner,
 * MIT, no dependencies) reports each property with its path; JSON.parse has already checked the syntax.
 */
function refuseDuplicateKeys(name: string, raw: string): void {
  const open: Array<Set<string>> = [];
  let duplicate: { path: JSONPath; key: string } | undefined;
  visit(
    raw,
    {
      onObjectBegin: () => {
        open.push(new Set());
      },
      onObjectEnd: () => {
        open.pop();
      },
      onObjectProperty: (key, _offset, _length, _line, _character, pathSupplier) => {
        const keys = open.at(-1);
        if (keys === undefined || duplicate !== undefined) return;
        if (keys.has(key)) duplicate = { path: pathSupplier(), key };
        keys.add(key);
      },
    },
    { disallowComments: true, allowTrailingComma: false },
  );
  if (duplicate !== undefined) {
    throw new SettingError(
      pathName(name, [...duplicate.path, duplicate.key]),
      'each key once per entry',
      new ReceivedDescription(`${JSON.stringify(duplicate.key)} twice`),
    );
  }
}

/**
 * Parses `IMAGE_SIZES` (docs/design.md "Renditions"): a JSON array of renditions. Labels become blob-name parts
 * and activity names, so they are lower-case slugs and unique. Any unknown key, bad value or missing
 * required key throws a SettingError naming `IMAGE_SIZES[i].key`, which stops the worker at start-up.
 */
export function parseSizes(name: string, raw: string | undefined): SizeSpec[] {
  if (raw === undefined || raw.trim() === '') {
    return DEFAULT_SIZES.map((size) => ({ ...size, formats: [...size.formats] }));
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    throw new SettingError(name, `a ${ARRAY_SHAPE}`, raw);
  }
  if (!Array.isArray(parsed) || parsed.length === 0) {
    throw new SettingError(name, `a non-empty ${ARRAY_SHAPE}`, raw);
  }
  refuseDuplicateKeys(name, raw);
  if (parsed.length > MAX_LABELS) {
    throw new SettingError(
      `${name}[${MAX_LABELS}]`,
      `at most ${MAX_LABELS} renditions (each is one resize activity per upload and up to 4 variants in the source's document)`,
      new ReceivedDescription(`${parsed.length} renditions`),
    );
  }
  const seen = new Set<string>();
  return parsed.map((entry: unknown, index) => {
    const spec = parseRendition(entry, `${name}[${index}]`);
    if (seen.has(spec.label)) throw new SettingError(`${name}[${index}].label`, 'a unique label', spec.label);
    seen.add(spec.label);
    return spec;
  });
}

/**
 * Parses `RETIRED_SIZES`: comma-separated labels no longer planned for new uploads whose `resize-{label}`
 * activities stay registered, so instances that planned them before the label left `IMAGE_SIZES` (waiting on a
 * retry or re-drive timer, or resumed after a redeploy) can still call them. A label may not be both planned
 * and retired.
 */
export function parseRetiredSizes(
  name: string,
  raw: string | undefined,
  planned: readonly SizeSpec[],
): string[] {
  if (raw === undefined || raw.trim() === '') return [];
  const plannedLabels = new Set(planned.map((size) => size.label));
  const seen = new Set<string>();
  return raw.split(',').map((part, index) => {
    const label = part.trim();
    if (!RETIRED_LABEL_PATTERN.test(label)) {
      throw new SettingError(
        `${name}[${index}]`,
        `a lower-case slug of 1-${MAX_LABEL_LENGTH} characters`,
        label,
      );
    }
    if (seen.has(label)) throw new SettingError(`${name}[${index}]`, 'a label listed once', label);
    if (plannedLabels.has(label)) {
      throw new SettingError(`${name}[${index}]`, 'a label that is not also in IMAGE_SIZES', label);
    }
    seen.add(label);
    return label;
  });
}
