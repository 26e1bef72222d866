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
    if (!LABEL_PATTERN.test(label)) {
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
