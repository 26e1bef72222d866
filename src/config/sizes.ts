import type { SizeSpec } from '../domain/types';
import { SettingError } from '../domain/errors';
import { positiveInteger } from '../domain/validation';

/** Built-in size catalog; `IMAGE_SIZES` replaces it. Each is a box to fit inside, never enlarged. */
export const DEFAULT_SIZES: readonly SizeSpec[] = Object.freeze([
  { label: 'thumb', width: 150, height: 150 },
  { label: 'medium', width: 640, height: 640 },
  { label: 'large', width: 1280, height: 1280 },
]);

/** Longest size label: labels end up in derivative blob names, whose length Azure caps (see events/blobName). */
export const MAX_LABEL_LENGTH = 32;
const LABEL_PATTERN = new RegExp(`^[a-z0-9][a-z0-9-]{0,${MAX_LABEL_LENGTH - 1}}$`);
const MAX_EDGE = 16384;

/**
 * Parses `IMAGE_SIZES`: a JSON array of `{label, width, height}` (labels become blob-name suffixes and
 * activity names, so they are lower-case slugs and unique).
 */
export function parseSizes(name: string, raw: string | undefined): SizeSpec[] {
  if (raw === undefined || raw.trim() === '') return DEFAULT_SIZES.map((size) => ({ ...size }));
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    throw new SettingError(name, 'a JSON array of {label, width, height}', raw);
  }
  if (!Array.isArray(parsed) || parsed.length === 0) {
    throw new SettingError(name, 'a non-empty JSON array of {label, width, height}', raw);
  }
  const seen = new Set<string>();
  return parsed.map((entry: unknown, index) => {
    const item = (typeof entry === 'object' && entry !== null ? entry : {}) as Record<string, unknown>;
    const { label } = item;
    if (typeof label !== 'string' || !LABEL_PATTERN.test(label)) {
      throw new SettingError(
        `${name}[${index}].label`,
        `a lower-case slug of 1-${MAX_LABEL_LENGTH} characters`,
        label,
      );
    }
    if (seen.has(label)) throw new SettingError(`${name}[${index}].label`, 'a unique label', label);
    seen.add(label);
    const edge = (field: 'width' | 'height'): number => {
      const value = positiveInteger(item[field], MAX_EDGE);
      if (value === undefined) {
        throw new SettingError(
          `${name}[${index}].${field}`,
          `an integer between 1 and ${MAX_EDGE}`,
          item[field],
        );
      }
      return value;
    };
    return { label, width: edge('width'), height: edge('height') };
  });
}
