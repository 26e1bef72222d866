import type { SizeSpec } from '../domain/types';
import type { SourceLimits } from './types';

/** Caller bugs, not image problems: thrown, in sharp's "Expected <what> for <name> but received <value>" shape. */
function assertPositiveInteger(name: string, value: unknown): void {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 1) {
    throw new TypeError(
      `Expected a positive integer for ${name} but received ${JSON.stringify(value) ?? typeof value}`,
    );
  }
}

/** The spec comes from parsed settings or a checked activity input; this guards direct callers' bugs. */
export function assertRenditionArguments(source: unknown, spec: SizeSpec, limits: SourceLimits): void {
  if (!Buffer.isBuffer(source)) {
    throw new TypeError(
      `Expected a Buffer for source but received ${source === null ? 'null' : typeof source}`,
    );
  }
  if (spec.width !== undefined) assertPositiveInteger('spec.width', spec.width);
  if (spec.height !== undefined) assertPositiveInteger('spec.height', spec.height);
  if (spec.width === undefined && spec.height === undefined) {
    throw new TypeError('Expected spec.width or spec.height but received neither');
  }
  if (!Array.isArray(spec.formats) || spec.formats.length === 0) {
    throw new TypeError(
      `Expected a non-empty array for spec.formats but received ${JSON.stringify(spec.formats) ?? typeof spec.formats}`,
    );
  }
  assertPositiveInteger('limits.maxSourceBytes', limits.maxSourceBytes);
  assertPositiveInteger('limits.maxSourcePixels', limits.maxSourcePixels);
}
