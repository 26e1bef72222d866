import { ArgumentError } from '../domain/errors';
import type { SizeSpec } from '../domain/types';
import { positiveInteger } from '../domain/validation';
import type { SourceLimits } from './types';

/** Caller bugs, not image problems: thrown as `ArgumentError` ("Expected … for … but received …"). */
function assertPositiveInteger(name: string, value: unknown): void {
  if (positiveInteger(value) === undefined) throw new ArgumentError(name, 'a positive integer', value);
}

/** The spec comes from parsed settings or a checked activity input; this guards direct callers' bugs. */
export function assertRenditionArguments(source: unknown, spec: SizeSpec, limits: SourceLimits): void {
  if (!Buffer.isBuffer(source)) throw new ArgumentError('source', 'a Buffer', source);
  if (spec.width !== undefined) assertPositiveInteger('spec.width', spec.width);
  if (spec.height !== undefined) assertPositiveInteger('spec.height', spec.height);
  if (spec.width === undefined && spec.height === undefined) {
    throw new ArgumentError('spec.width', 'spec.width, spec.height or both', undefined);
  }
  if (!Array.isArray(spec.formats) || spec.formats.length === 0) {
    throw new ArgumentError('spec.formats', 'a non-empty array', spec.formats);
  }
  assertPositiveInteger('limits.maxSourceBytes', limits.maxSourceBytes);
  assertPositiveInteger('limits.maxSourcePixels', limits.maxSourcePixels);
}
